"""Demo referrals in every state at both campuses, plus one waiting for a campus.

Idempotent: each demo referral has its own demo patient, keyed on the e-mail address.
Runs after the staff step (it acts as the demo physiotherapist and coordinators).
"""

from datetime import date, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from clinics.models import Campus
from intake.models import Patient
from intake.services import build_answers, register_patient
from pathway.services import admit_patient
from referrals import services
from referrals.models import (
    AppointmentSlot,
    Referral,
    ReferralEvent,
    ReferralLetter,
    ReferralSource,
)

EMAIL = "referral.{key}@demo.backpath.example"
CAMPUS_POSTCODES = {"bornem": "2880", "rumst": "2840"}
OTHER = {"bornem": "rumst", "rumst": "bornem"}
# The state each demo referral ends in, and its patient (first and last name, language)
# at Bornem and at Rumst.
STEPS = (
    ("proposed_follow_up", ("Ward", "Hendrickx", "nl"), ("Bert", "Cools", "nl")),
    ("proposed_physio", ("Nadia", "Bouzid", "fr"), ("Margot", "Leclercq", "fr")),
    ("sent", ("Koen", "Verbeke", "nl"), ("Yusuf", "Demir", "nl")),
    ("accepted", ("Lies", "Smets", "nl"), ("Katrien", "Pauwels", "nl")),
    ("booked", ("Amélie", "Renard", "fr"), ("Julie", "Denis", "fr")),
    ("seen", ("Jef", "Van Dyck", "nl"), ("Pol", "Segers", "nl")),
    ("closed", ("Hilde", "Mertens", "nl"), ("Greet", "Wuyts", "nl")),
    ("declined", ("George", "Collins", "en"), ("Sarah", "Miller", "en")),
    ("cancelled", ("Rita", "Bogaert", "nl"), ("Ann", "Michiels", "nl")),
    ("redirected", ("Luc", "Peeters", "nl"), ("Dries", "Goris", "nl")),
)
FEMALE = {"Nadia", "Lies", "Amélie", "Hilde", "Rita", "Margot", "Katrien", "Julie", "Greet",
          "Sarah", "Ann"}  # fmt: skip
REASON = (
    "Still in pain at the six-week follow-up (NRS {pain}/10, no better); "
    "STarT Back medium risk. Pain-clinic assessment proposed."
)


def _patient(key: str, first: str, last: str, language: str, postcode: str, age: int) -> Patient:
    today = timezone.localdate()
    return register_patient(
        by=None,
        no_insz_reason="demo patient",
        first_name=first,
        last_name=last,
        birth_date=date(today.year - age, 3, 14),
        sex="F" if first in FEMALE else "M",
        language=language,
        email=EMAIL.format(key=key),
        phone="+32470000" + f"{age:03d}",
        postcode=postcode,
        gp_name="Dr. Vermeulen",
        gp_practice="Huisartsenpraktijk De Schelde",
        email_consent=True,
    )


def _age(referral: Referral, days: int) -> None:
    """Move a demo referral's history back by ``days`` so the queue has an order."""
    shift = timedelta(days=days)
    referral.refresh_from_db()
    Referral.objects.filter(pk=referral.pk).update(
        created_at=referral.created_at - shift,
        sent_at=referral.sent_at - shift if referral.sent_at else None,
        state_changed_at=referral.state_changed_at - shift,
        patient_emailed_at=(
            referral.patient_emailed_at - shift if referral.patient_emailed_at else None
        ),
    )
    for event in ReferralEvent.objects.filter(referral=referral):
        ReferralEvent.objects.filter(pk=event.pk).update(at=event.at - shift)
    for letter in ReferralLetter.objects.filter(referral=referral).defer("pdf"):
        ReferralLetter.objects.filter(pk=letter.pk).update(created_at=letter.created_at - shift)


def _referral(step: tuple[Any, ...], campus: str, number: int, staff: dict[str, Any]) -> None:
    key, at_bornem, at_rumst = step
    first, last, language = at_bornem if campus == "bornem" else at_rumst
    full_key = f"{campus}.{key}"
    if Patient.objects.filter(email=EMAIL.format(key=full_key)).exists():
        return
    today = timezone.localdate()
    postcode = CAMPUS_POSTCODES[OTHER[campus] if key == "redirected" else campus]
    patient = _patient(full_key, first, last, language, postcode, 35 + number)
    intake_date = today - timedelta(days=45 + number)
    intake = admit_patient(
        patient,
        answers=build_answers(patient, intake_date, {"duration_days": 10, "pain_now": 7}),
        start_back_items=[1, 0, 1, 1, 0, 1, 0, 1, "very_much"],
        odi_sections=[3, 2, 2, 3, 2, 2, 1, 2, 2, 3],
        intake_date=intake_date,
    )
    by_physio = key == "proposed_physio"
    referral = services.propose_referral(
        intake.episode,
        source=ReferralSource.PHYSIO if by_physio else ReferralSource.FOLLOW_UP,
        reason=REASON.format(pain=5 + number % 3),
        by=staff["physio"] if by_physio else None,
    )
    if key.startswith("proposed"):
        _age(referral, number % 4)
        return
    physio, coordinator = staff["physio"], staff[campus]
    if key == "redirected":
        referral = services.send_referral(referral, by=physio)
        services.redirect_referral(
            referral,
            by=staff[OTHER[campus]],
            campus=Campus.objects.get(code=campus),
            reason="Patient works nearby; the other campus has a shorter wait.",
        )
        _age(referral, 6)
        return
    referral = services.send_referral(referral, by=physio)
    if key == "cancelled":
        services.cancel_referral(referral, by=physio, reason="Patient recovered before the visit.")
    elif key == "declined":
        services.decline_referral(
            referral, by=coordinator, reason="Radicular pain: refer to neurosurgery instead."
        )
    elif key != "sent":
        referral = services.accept_referral(referral, by=coordinator)
        if key in {"booked", "seen", "closed"}:
            slot = time(9 + number % 7, 30)
            referral = services.book_appointment(
                referral, by=coordinator, day=today + timedelta(days=7 + number), at=slot
            )
        if key in {"seen", "closed"}:
            Referral.objects.filter(pk=referral.pk).update(
                appointment_date=today - timedelta(days=2)
            )
            referral = services.mark_seen(referral, by=coordinator)
        if key == "closed":
            services.close_referral(referral, by=coordinator, note="Treatment plan agreed.")
    _age(referral, 3 + number)


def seed(stdout) -> None:  # type: ignore[no-untyped-def]
    User = get_user_model()
    staff = {
        "physio": User.objects.get(username="kine.an"),
        "bornem": User.objects.get(username="coord.bornem"),
        "rumst": User.objects.get(username="coord.rumst"),
    }
    _slot_templates()
    before = Referral.objects.count()
    for campus in ("bornem", "rumst"):
        for number, step in enumerate(STEPS):
            _referral(step, campus, number, staff)
    _unassigned(staff)
    stdout.write(f"demo referrals: {Referral.objects.count() - before} new")


# Each campus's weekly slot template: half-hour slots on its clinic days.
DEMO_CLINIC_DAYS = {"bornem": (1, 3), "rumst": (0, 2, 4)}
DEMO_SLOT_TIMES = tuple(time(h, m) for h in (9, 10, 11, 13, 14, 15) for m in (0, 30))


def _slot_templates() -> None:
    for code, weekdays in DEMO_CLINIC_DAYS.items():
        campus = Campus.objects.get(code=code)
        for weekday in weekdays:
            for start in DEMO_SLOT_TIMES:
                AppointmentSlot.objects.get_or_create(
                    campus=campus, weekday=weekday, start=start, defaults={"minutes": 30}
                )


def _unassigned(staff: dict[str, Any]) -> None:
    """One referral sent while no campus accepted: it waits in the no-campus queue."""
    key = "unassigned"
    if Patient.objects.filter(email=EMAIL.format(key=key)).exists():
        return
    campuses = list(Campus.objects.values_list("pk", "accepting_referrals"))
    Campus.objects.update(accepting_referrals=False)
    patient = _patient(key, "Sven", "Lauwers", "nl", "2000", 58)
    intake_date = timezone.localdate() - timedelta(days=50)
    intake = admit_patient(
        patient,
        answers=build_answers(patient, intake_date, {"duration_days": 12, "pain_now": 6}),
        start_back_items=[1, 1, 1, 0, 1, 1, 1, 1, "extremely"],
        odi_sections=[3, 3, 2, 3, 2, 2, 2, 2, 3, 3],
        intake_date=intake_date,
    )
    referral = services.propose_referral(
        intake.episode, source=ReferralSource.FOLLOW_UP, reason=REASON.format(pain=6)
    )
    services.send_referral(referral, by=staff["physio"])
    for pk, accepting in campuses:
        Campus.objects.filter(pk=pk).update(accepting_referrals=accepting)
    _age(referral, 2)
