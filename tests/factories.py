import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from clinics.models import Campus, StaffProfile

PASSWORD = "test-password-123"


class StaffFactory(factory.django.DjangoModelFactory):
    """A staff member with one role (an auth group) and, for coordinators, a campus."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password(PASSWORD)
    role = "reception"
    campus_code = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):  # type: ignore[no-untyped-def]
        role = kwargs.pop("role")
        campus_code = kwargs.pop("campus_code")
        user = super()._create(model_class, *args, **kwargs)
        user.groups.add(Group.objects.get(name=role))
        campus = Campus.objects.get(code=campus_code) if campus_code else None
        StaffProfile.objects.update_or_create(user=user, defaults={"campus": campus})
        return user
