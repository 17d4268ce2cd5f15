"""Demo patients with intakes covering every disposition. Idempotent (keyed on INSZ)."""

import random
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from intake.models import Patient
from intake.search import fold
from intake.services import build_answers, register_patient
from pathway.services import admit_patient

FIRST_NAMES = ["An", "Bart", "Chloé", "Dirk", "Els", "Frédéric", "Griet", "Hamza", "Inge", "Jan",
               "Karim", "Lotte", "Marc", "Nora", "Olivier", "Petra", "Quinten", "Rania", "Sofie",
               "Tom"]  # fmt: skip
LAST_NAMES = ["Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens",
              "Wouters", "De Smet", "Dubois", "Lambert", "Vermeulen", "Van den Broeck", "Hermans",
              "El Amrani", "Martens", "Aerts", "Lemaire", "Desmet"]  # fmt: skip
POSTCODES = ["2880", "2870", "2890", "1840", "9140", "2840", "2850", "2627", "2550", "2570", "2000"]

# (count, overrides of the section-1 answers) - together about 40 intakes.
PROFILES = [
    (22, {}),
    (3, {"saddle_numbness": True}),
    (2, {"fever": True}),
    (2, {"trauma": True, "osteoporosis_or_steroids": True}),
    (3, {"night_pain": True}),
    (2, {"cancer_history": True, "weight_loss": True}),
    (3, {"duration_days": 30}),
    (2, {"radiation": "below_knee", "leg_numbness": "one_leg"}),
    (1, {"painkiller_days": 12, "duration_days": 14}),
    (1, {"radiation": "both_legs"}),
    (1, {"inflammatory_signs": True}),
]


def demo_insz(birth_date: date, sequence: int) -> str:
    """A checksum-valid national number for a demo patient."""
    body = f"{birth_date:%y%m%d}{sequence:03d}"
    base = int(("2" + body) if birth_date.year >= 2000 else body)
    return f"{body}{97 - base % 97:02d}"


def seed(stdout) -> None:  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    created = 0
    number = 0
    for count, overrides in PROFILES:
        for _ in range(count):
            number += 1
            # One generator per patient: the same patient comes out on every run.
            rng = random.Random(number)  # noqa: S311 - reproducible demo data, not security
            birth = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 50))
            insz = demo_insz(birth, 100 + 2 * number + (1 if number % 2 else 0))  # odd = male
            if Patient.objects.filter(insz=insz).exists():
                continue
            first = FIRST_NAMES[number % len(FIRST_NAMES)]
            last = LAST_NAMES[(number * 7) % len(LAST_NAMES)]
            language = rng.choice(["nl"] * 6 + ["fr"] * 3 + ["en"])
            patient = register_patient(
                by=None,
                insz=insz,
                first_name=first,
                last_name=last,
                birth_date=birth,
                sex="M" if number % 2 else "F",
                language=language,
                email=fold(f"{first}.{last}").replace(" ", "") + "@demo.backpath.example",
                phone=f"+3247{rng.randrange(1000000, 9999999)}",
                postcode=rng.choice(POSTCODES),
                gp_name=rng.choice(["Dr. Vermeulen", "Dr. Lambert", "Dr. Aerts"]),
                gp_practice="Huisartsenpraktijk De Schelde",
                email_consent=number % 5 != 0,
            )
            intake_date = today - timedelta(days=rng.randrange(0, 70))
            fields = {
                "duration_days": rng.randrange(1, 13),
                "pain_now": rng.randrange(3, 9),
                "painkiller_days": rng.randrange(0, 7),
                **overrides,
            }
            # Never more days on painkillers than days of pain (an input error since 2027.1).
            fields["painkiller_days"] = min(fields["painkiller_days"], fields["duration_days"])
            admit_patient(
                patient,
                answers=build_answers(patient, intake_date, fields),
                start_back_items=[rng.randrange(2) for _ in range(8)]
                + [rng.choice(["slightly", "moderately", "very_much"])],
                odi_sections=[rng.randrange(0, 4) for _ in range(10)],
                medication=rng.choice(["", "paracetamol", "ibuprofen"]),
                intake_date=intake_date,
                recorded_at=timezone.make_aware(
                    datetime.combine(intake_date, time(8 + number % 9, 5 * (number % 12)))
                ),
            )
            created += 1
    stdout.write(f"demo patients: {created} new (of {number})")
