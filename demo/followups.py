"""Demo follow-ups in every state, made the way the running system makes them.

A handful of patients get intakes 41 to 62 days ago; then the sweep and the outbox are
replayed at 09:00 on each of the last ``REPLAY_DAYS`` days, with the patients'
answers and reception's calls on their days in between. The result: follow-ups
scheduled, invited, reminded, answered (recovered, improving, persistent by phone, red
flag), expired, on the call list (no e-mail, no consent, bounced e-mail), done and
cancelled, with their e-mails in ``var/mail/``. Every other demo episode due in that
period goes through the same sweeps. Idempotent: skipped when its patients exist.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from followups import services
from followups.models import AnswerChannel, CallResult, FollowUp
from followups.schedule import FOLLOW_UP_AFTER_DAYS, local_at
from followups.services import follow_up_reference
from intake.models import Episode, Patient
from intake.services import build_answers, register_patient
from outbox import drain
from outbox.models import EmailState, OutboundEmail
from pathway.services import admit_patient, answer_follow_up

EMAIL_DOMAIN = "demo.followups.backpath.example"
REPLAY_DAYS = 20
DEMO_MARK = "demo patient (follow-ups)"
BOUNCED_ERROR = "550 5.1.1 Mailbox unavailable (demo)"

# Rules 2027.1: only signs new or worse since the intake are asked (no lifetime facts).
NO_RED_FLAGS = {
    "leg_numbness": "none",
    "radiation": "none",
    "leg_weakness": False,
    "saddle_numbness": False,
    "bladder_bowel": False,
    "erectile_dysfunction": False,
    "trauma": False,
    "fever": False,
    "weight_loss": False,
    "night_pain": False,
    "unwell": False,
    "new_cancer_or_steroids": False,
}
START_BACK_AGAIN = [1, 0, 0, 0, 0, 1, 0, 0, "slightly"]


def follow_up_answers(**overrides: Any) -> dict[str, Any]:
    answers = {
        "still_back_pain": True,
        "pain_now": 3,
        "global_change": "better",
        "painkillers_still": False,
        **NO_RED_FLAGS,
    }
    answers.update(overrides)
    return answers


RECOVERED = follow_up_answers(still_back_pain=False, pain_now=1, global_change="much_better")
IMPROVING = follow_up_answers(pain_now=3, global_change="better")
PERSISTENT = follow_up_answers(
    pain_now=6, global_change="same", painkillers_still=True, odi=[3, 2, 3, 3, 2, 3, 2, 1, 2, 2]
)
RED_FLAG = follow_up_answers(pain_now=5, global_change="worse", saddle_numbness=True)
# "No back pain" but pain 7: read as pain present, reception confirms by phone.
CONTRADICTORY = follow_up_answers(still_back_pain=False, pain_now=7, global_change="same")


@dataclass(frozen=True)
class DemoPatient:
    key: str
    first_name: str
    last_name: str
    language: str
    # Days before today the follow-up falls due (negative: in the future).
    due_days_ago: int
    email: bool = True
    consent: bool = True
    # Day offset (0 = today) → what happens that day after the sweep.
    events: dict[int, str] = field(default_factory=dict)


DEMO_PATIENTS = (
    DemoPatient("scheduled", "Lieve", "Smets", "nl", due_days_ago=-32),
    DemoPatient("due-tomorrow", "Arne", "Cools", "nl", due_days_ago=-1),
    DemoPatient("invited", "Camille", "Renard", "fr", due_days_ago=1),
    DemoPatient("reminded", "Jonas", "Verbeke", "nl", due_days_ago=5),
    DemoPatient("no-email", "Maria", "Van Dyck", "nl", due_days_ago=1, email=False),
    DemoPatient("no-consent", "Luc", "Pauwels", "fr", due_days_ago=2, consent=False),
    DemoPatient("bounced", "Ahmed", "Benali", "nl", due_days_ago=3, events={-3: "bounce"}),
    DemoPatient("expired", "Hilde", "Michiels", "nl", due_days_ago=16, events={-1: "not_reached"}),
    DemoPatient("done", "Koen", "Segers", "nl", due_days_ago=18, events={-3: "declined"}),
    DemoPatient(
        "lost",
        "Nadia",
        "El Amrani",
        "nl",
        due_days_ago=19,
        email=False,
        events={-5: "not_reached", -3: "not_reached", -1: "not_reached"},
    ),
    DemoPatient(
        "check-answers", "Marie", "Dubois", "fr", due_days_ago=6, events={-2: "contradictory"}
    ),
    DemoPatient("recovered", "Sarah", "Wilson", "en", due_days_ago=10, events={-8: "recovered"}),
    DemoPatient("improving", "Eva", "Lemmens", "nl", due_days_ago=12, events={-11: "improving"}),
    DemoPatient("persistent", "Bram", "Hendrickx", "nl", due_days_ago=19, events={-3: "phone"}),
    DemoPatient("red-flag", "Julie", "Leroy", "fr", due_days_ago=4, events={-3: "red_flag"}),
    DemoPatient("cancelled", "Wim", "Dierckx", "nl", due_days_ago=2, events={-5: "close"}),
)


def _register(demo: DemoPatient, number: int, today: date) -> Episode:
    patient = register_patient(
        by=None,
        no_insz_reason=DEMO_MARK,
        first_name=demo.first_name,
        last_name=demo.last_name,
        birth_date=date(1950, 1, 1) + timedelta(days=1361 * number),
        sex="X",
        language=demo.language,
        email=f"{demo.key}@{EMAIL_DOMAIN}" if demo.email else "",
        phone=f"+32470{100000 + 7919 * number}",
        postcode="2880",
        email_consent=demo.email and demo.consent,
    )
    intake_date = today - timedelta(days=FOLLOW_UP_AFTER_DAYS + demo.due_days_ago)
    fields = {"duration_days": 6, "pain_now": 6, "painkiller_days": 2}
    assessment = admit_patient(
        patient,
        answers=build_answers(patient, intake_date, fields),
        start_back_items=[1, 0, 1, 0, 0, 1, 0, 0, "moderately"],
        odi_sections=[3, 2, 3, 2, 2, 3, 2, 1, 2, 2],
        intake_date=intake_date,
        recorded_at=local_at(intake_date) + timedelta(hours=1),
    )
    return assessment.episode


def _bounce(follow_up: FollowUp, at: datetime) -> None:
    OutboundEmail.objects.for_reference(follow_up_reference(follow_up)).filter(
        state=EmailState.QUEUED
    ).update(state=EmailState.FAILED, attempts=1, last_error=BOUNCED_ERROR, next_attempt_at=None)
    services.move_to_call_list_after_failed_email(follow_up.pk, now=at)


def _answer(answers: dict[str, Any], channel: str) -> Callable[[FollowUp, datetime], Any]:
    def answer(follow_up: FollowUp, at: datetime) -> Any:
        link = follow_up.links.order_by("pk").first() if channel == AnswerChannel.LINK else None
        return answer_follow_up(
            follow_up,
            answers,
            channel=channel,
            start_back_items=START_BACK_AGAIN,
            link=link,
            now=at,
        )

    return answer


def _cancel(follow_up: FollowUp, at: datetime) -> None:
    services.cancel_follow_ups(follow_up.episode, reason="Moved abroad (demo).")


EVENTS: dict[str, Callable[[FollowUp, datetime], Any]] = {
    "bounce": _bounce,
    "recovered": _answer(RECOVERED, AnswerChannel.LINK),
    "improving": _answer(IMPROVING, AnswerChannel.LINK),
    "red_flag": _answer(RED_FLAG, AnswerChannel.LINK),
    "phone": _answer(PERSISTENT, AnswerChannel.PHONE),
    "contradictory": _answer(CONTRADICTORY, AnswerChannel.LINK),
    "declined": lambda f, at: services.record_call(
        f, result=CallResult.DECLINED, by=None, note="Feels fine, no questions.", now=at
    ),
    "not_reached": lambda f, at: services.record_call(
        f, result=CallResult.NOT_REACHED, by=None, note="Voicemail.", now=at
    ),
    "close": _cancel,
}


def seed(stdout) -> None:  # type: ignore[no-untyped-def]
    if Patient.objects.filter(no_insz_reason=DEMO_MARK).exists():
        stdout.write("demo follow-ups: already there")
        return
    now = timezone.now()
    today = timezone.localdate(now)
    episodes = {
        demo.key: _register(demo, number, today) for number, demo in enumerate(DEMO_PATIENTS)
    }
    sent = 0
    for offset in range(-REPLAY_DAYS, 1):
        nine = local_at(today + timedelta(days=offset))
        if nine > now:
            break
        services.run_sweep(nine)
        for demo in DEMO_PATIENTS:
            if offset in demo.events:
                follow_up = FollowUp.objects.get(episode=episodes[demo.key], number=1)
                EVENTS[demo.events[offset]](follow_up, nine + timedelta(hours=2))
        sent += drain.send_due_emails(nine + timedelta(hours=2)).total()
    states = FollowUp.objects.filter(episode__in=episodes.values()).values_list("state", flat=True)
    stdout.write(
        f"demo follow-ups: {len(DEMO_PATIENTS)} patients, states {sorted(set(states))}, "
        f"{sent} e-mails written; try: manage.py run_followups --now "
        f'"{today + timedelta(days=1)}T09:00"'
    )
