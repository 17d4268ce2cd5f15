"""Intake submission at the desk, and the triage engine on its own.

One submission is what reception does for a new patient: POST the registration form
(INSZ, phone and postcode validation, the INSZ and near-duplicate checks; when the
near-duplicate check stops it, tick "different person" and POST again, as the desk
does), then POST the intake form (validation, triage, episode, intake, alert, the
six-week follow-up, the change log). Both through the test client, signed in as
reception, against the loaded database.
"""

from __future__ import annotations

import random
import time
from datetime import date, timedelta
from typing import Any

from bench.dataset import reset
from bench.load import FIRST_NAMES, LAST_NAMES, insz_for
from bench.timing import signed_in_client, summary

TRIAGE_EVALUATIONS = 300_000


def intake_form(rng: random.Random) -> dict[str, str]:
    from intake import scores
    from intake.forms import RED_FLAG_LABELS, START_BACK_LABELS

    duration = rng.choice((2, 5, 10, 30))
    data = {
        "duration_days": str(duration),
        "pain_now": str(rng.randint(2, 9)),
        "seen_by_doctor": "False",
        "radiation": rng.choice(("none", "buttock_thigh", "below_knee")),
        "leg_numbness": "none",
        # never more painkiller days than days of pain (the form refuses that)
        "painkiller_days": str(min(duration, rng.choice((0, 2, 10)))),
        "medication": "paracetamol",
        "bothersomeness": rng.choice(("slightly", "moderately", "very_much")),
    }
    data.update({key: "False" for key in RED_FLAG_LABELS})
    if rng.random() < 0.05:
        data["saddle_numbness"] = "True"
    data.update({key: rng.choice("01") for key in START_BACK_LABELS})
    data.update({f"odi_{section}": str(rng.randint(0, 3)) for section in scores.ODI_SECTIONS})
    return data


def patient_form(rng: random.Random, serial: int) -> dict[str, str]:
    birth = date(1950, 1, 1) + timedelta(days=rng.randrange(20_000))
    return {
        "insz": ".".join((f"{birth:%y}", f"{birth:%m}", f"{birth:%d}"))
        + "-"
        + insz_for(birth, 900 + serial % 97)[6:9]
        + "."
        + insz_for(birth, 900 + serial % 97)[9:],
        "no_insz_reason": "",
        "last_name": rng.choice([n for n in LAST_NAMES if n]),
        "first_name": rng.choice(FIRST_NAMES),
        "birth_date": birth.isoformat(),
        "sex": "F",
        "language": rng.choice(("nl", "fr")),
        "email": f"bench.intake{serial}@example.org",
        "phone": "0470 12 34 56",
        "postcode": rng.choice(("2880", "2840", "2000", "9000")),
        "gp_name": "Dr. Vermeulen",
        "gp_practice": "Huisartsenpraktijk De Schelde",
        "email_consent": "on",
        "campus_preference": "",
    }


def measure_submissions(requests: int, log: Any) -> dict[str, Any]:
    rng = random.Random(11)
    client = signed_in_client("bench.reception0")
    used: set[str] = set()
    register_s: list[float] = []
    intake_s: list[float] = []
    total_s: list[float] = []
    confirmed = 0
    serial = 0
    warm_up = 5
    for i in range(requests + warm_up):
        while True:
            serial += 1
            form = patient_form(rng, serial)
            if form["insz"] not in used:
                used.add(form["insz"])
                break
        started = time.perf_counter()
        response = client.post("/reception/patients/new/", form)
        if response.status_code == 200:  # the near-duplicate check: a different person
            confirmed += 1
            response = client.post("/reception/patients/new/", {**form, "confirm_new": "on"})
        if response.status_code != 302:
            raise RuntimeError(f"registration answered {response.status_code}")
        registered = time.perf_counter()
        patient_id = int(response["Location"].rstrip("/").split("/")[-1])
        response = client.post(f"/reception/patients/{patient_id}/intake/", intake_form(rng))
        done = time.perf_counter()
        if response.status_code != 302:
            errors = response.context["form"].errors if response.context else ""
            raise RuntimeError(f"the intake answered {response.status_code}: {errors}")
        if i >= warm_up:
            register_s.append(registered - started)
            intake_s.append(done - registered)
            total_s.append(done - started)
    total, register, intake = summary(total_s), summary(register_s), summary(intake_s)
    log(
        f"intake: {requests} new patients with an intake at the desk: p50 {total['p50_ms']} ms, "
        f"p95 {total['p95_ms']} ms (registration p95 {register['p95_ms']} ms, intake form p95 "
        f"{intake['p95_ms']} ms; {confirmed} near-duplicates confirmed)"
    )
    return {
        "intake_p95_ms": total["p95_ms"],
        "intake": {
            "submission": total,
            "registration": register,
            "intake_form": intake,
            "near_duplicates_confirmed": confirmed,
        },
    }


def measure_triage(log: Any) -> dict[str, Any]:
    from intake import triage

    rng = random.Random(5)
    variants = []
    for _ in range(100):
        answers: dict[str, Any] = {
            "age": rng.randint(14, 90),
            "duration_days": rng.choice((2, 5, 21, 60)),
            "pain_now": rng.randint(0, 10),
            "seen_by_doctor": rng.random() < 0.2,
            "radiation": rng.choice(triage.RADIATION_CHOICES),
            "leg_numbness": rng.choice(triage.LEG_NUMBNESS_CHOICES),
            "painkiller_days": rng.choice((0, 3, 10)),
        }
        answers["painkiller_days"] = min(answers["painkiller_days"], answers["duration_days"])
        for key in triage.RED_FLAG_BOOLEAN_KEYS:
            answers[key] = rng.random() < 0.05
        variants.append(answers)
    count = len(variants)
    started, cpu_started = time.perf_counter(), time.process_time()
    for i in range(TRIAGE_EVALUATIONS):
        triage.triage(variants[i % count])
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    rate = TRIAGE_EVALUATIONS / seconds
    log(
        f"triage: {TRIAGE_EVALUATIONS:,} evaluations in {seconds:.2f} s: {rate:,.0f}/s "
        f"({TRIAGE_EVALUATIONS / cpu_seconds:,.0f} per CPU-second)"
    )
    return {
        "triage_per_s": round(rate),
        "triage_per_cpu_s": round(TRIAGE_EVALUATIONS / cpu_seconds),
    }


def measure(context: dict[str, Any], *, requests: int) -> dict[str, Any]:
    log = context["log"]
    try:
        results = measure_submissions(requests, log)
    finally:
        reset(context["meta"])
    results.update(measure_triage(log))
    return results
