"""Demo staff: one account per role, a coordinator per campus. Idempotent."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from clinics.models import Campus, Practice, Role, StaffProfile

DEMO_PASSWORD = "backpath-demo"  # noqa: S105 - demo data only; seed_demo refuses to run in production


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: str
    campus_code: str | None = None


DEMO_USERS = (
    DemoUser("balie", "Sofie", "Peeters", Role.RECEPTION),
    DemoUser("kine.an", "An", "Janssens", Role.PHYSIOTHERAPIST),
    DemoUser("kine.tom", "Tom", "Maes", Role.PHYSIOTHERAPIST),
    DemoUser("coord.bornem", "Els", "Claes", Role.COORDINATOR, "bornem"),
    DemoUser("coord.rumst", "Pieter", "Wouters", Role.COORDINATOR, "rumst"),
    DemoUser("manager", "Karin", "Goossens", Role.MANAGER),
    DemoUser("admin", "Admin", "Backpath", Role.ADMIN),
)


# The practices patients on the physiotherapy pathway see in their pages' header.
DEMO_PRACTICES = (
    ("Kinepraktijk De Schelde", "03 899 12 34", "Kaai 4, 2880 Bornem"),
    ("Kinepraktijk Rupelstreek", "03 844 56 78", "Kerkstraat 12, 2840 Rumst"),
)


def seed(stdout) -> None:  # type: ignore[no-untyped-def]
    for name, phone, address in DEMO_PRACTICES:
        Practice.objects.update_or_create(name=name, defaults={"phone": phone, "address": address})
    User = get_user_model()
    for demo in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=demo.username,
            defaults={
                "first_name": demo.first_name,
                "last_name": demo.last_name,
                "email": f"{demo.username}@backpath.example",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
        user.is_staff = demo.role == Role.ADMIN
        user.is_superuser = demo.role == Role.ADMIN
        user.save()
        user.groups.add(Group.objects.get(name=demo.role))
        campus = Campus.objects.get(code=demo.campus_code) if demo.campus_code else None
        StaffProfile.objects.update_or_create(user=user, defaults={"campus": campus})
    stdout.write(f"demo staff: {len(DEMO_USERS)} accounts")
