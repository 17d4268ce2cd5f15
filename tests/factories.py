import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

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


class PatientFactory(factory.django.DjangoModelFactory):
    """A patient without INSZ (reason given) unless one is passed."""

    class Meta:
        model = "intake.Patient"

    first_name = factory.Faker("first_name", locale="nl_BE")
    last_name = factory.Faker("last_name", locale="nl_BE")
    birth_date = factory.Faker("date_of_birth", minimum_age=20, maximum_age=80)
    sex = "F"
    language = "nl"
    email = factory.Sequence(lambda n: f"patient{n}@example.org")
    phone = "+32470123456"
    postcode = "2880"
    gp_name = "Dr. Vermeulen"
    gp_practice = "Huisartsenpraktijk De Schelde"
    email_consent = True
    email_consent_at = factory.LazyFunction(timezone.now)
    no_insz_reason = "test patient"


def intake_answers(**overrides):  # type: ignore[no-untyped-def]
    """A plain PHYSIO intake (section 1 answers), with overrides."""
    answers = {"age": 40, "duration_days": 5, "pain_now": 5}
    answers.update(overrides)
    return answers


def make_intake(patient=None, *, by=None, intake_date=None, start_back=None, odi=None, **answers):  # type: ignore[no-untyped-def]
    """Record an intake through the real service; returns the IntakeAssessment."""
    from pathway.services import admit_patient

    patient = patient or PatientFactory()
    day = intake_date or timezone.localdate()
    answers.setdefault("age", patient.age_on(day))
    return admit_patient(
        patient,
        answers=intake_answers(**answers),
        start_back_items=start_back or [0, 0, 1, 0, 0, 0, 0, 0, "slightly"],
        odi_sections=odi or [2, 1, 2, 1, 2, 1, 1, 0, 1, 1],
        by=by,
        intake_date=day,
    )


# --- treatment (issue 7) -----------------------------------------------------------------

HIGH_RISK_START_BACK = [1, 1, 1, 1, 1, 1, 1, 0, "very_much"]


def make_episode_in_treatment(physio, **intake_kwargs):  # type: ignore[no-untyped-def]
    """A PHYSIO intake taken by ``physio``; returns the Episode (state in_treatment)."""
    from treatment.services import take_episode

    episode = make_intake(**intake_kwargs).episode
    assert take_episode(episode.pk, physio=physio)
    episode.refresh_from_db()
    return episode


def make_plan(episode, physio, *, exercises=(), **overrides):  # type: ignore[no-untyped-def]
    """A treatment plan through the real service, one goal, the given exercise codes."""
    from datetime import timedelta

    from treatment.models import Exercise
    from treatment.services import Goal, save_plan

    fields = {
        "approach": "physiotherapy",
        "sessions_per_week": 2,
        "planned_sessions": 8,
        "goals": [Goal("Walk 30 minutes", episode.intake_date + timedelta(days=42))],
        "exercises": list(Exercise.objects.filter(code__in=exercises)),
    }
    fields.update(overrides)
    return save_plan(episode, by=physio, **fields)


def make_referral(
    patient=None,
    *,
    reason="Still in pain at the six-week follow-up",
    source="follow_up",
    by=None,
    **patient_fields,
):  # type: ignore[no-untyped-def]
    """A proposed pain-clinic referral, through the real intake and referral services."""
    from referrals.services import propose_referral

    intake = make_intake(patient or PatientFactory(**patient_fields))
    return propose_referral(intake.episode, source=source, reason=reason, by=by)


def make_follow_up(patient=None, *, intake_date=None, **patient_fields):  # type: ignore[no-untyped-def]
    """A patient with a recorded intake; returns the intake's first (scheduled) follow-up."""
    patient = patient or PatientFactory(**patient_fields)
    assessment = make_intake(patient, intake_date=intake_date)
    return assessment.episode.follow_ups.get(number=1)
