"""Follow-up workflows: schedule, the per-minute sweep, answers, the call list.

Each workflow is one transaction. The sweep claims due rows in batches —
``select_for_update(skip_locked=True)`` where the database has it (PostgreSQL), and on
every database each step is a conditional update on the state it saw — so two sweeps
at the same time never move the same follow-up twice, and a batch that dies half-way
leaves nothing behind.
"""

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Min, Q
from django.urls import reverse
from django.utils import timezone

from clinics.dbwrites import insert_rows
from clinics.tokens import hash_token, new_tokens
from followups import outcome as rules
from followups import schedule
from followups.models import (
    CALL_LIST_STATES,
    LINK_STATES,
    PHONE_STATES,
    SWEPT_STATES,
    AnswerChannel,
    CallReason,
    CallResult,
    FollowUp,
    FollowUpState,
    QuestionnaireLink,
)
from intake import scores
from intake.models import AlertKind, Disposition, Episode
from intake.patient_texts import campus_phones
from intake.services import raise_alert
from outbox.models import PENDING_EMAIL_STATES, OutboundEmail
from outbox.services import QueuedEmail, queue_email, queue_emails

SWEEP_BATCH_SIZE = 1000
# One sweep run handles at most this many batches; the next minute's run goes on.
SWEEP_MAX_BATCHES = 100
MAX_CALL_ATTEMPTS = 3
RESPONSE_RATE_WINDOW = timedelta(weeks=8)
INVITATION_TEMPLATE = "followup_invitation"
REMINDER_TEMPLATE = "followup_reminder"
FOLLOW_UP_REFERENCE = "followup:"


class FollowUpClosed(Exception):
    """The follow-up cannot take this action any more (answered, expired, cancelled…)."""


# --- scheduling -------------------------------------------------------------------------


def schedule_follow_up(
    episode: Episode, *, number: int = 1, now: datetime | None = None, start: date | None = None
) -> FollowUp:
    """Create follow-up ``number`` of ``episode`` (idempotent) in the caller's transaction.

    Due 42 days after ``start``, 09:00 local time. By default number 1 counts from the
    intake date, and number 2 (an improving case) from the day number 1 was answered.
    """
    if start is None and number == 1:
        start = episode.intake_date
    elif start is None:
        previous = FollowUp.objects.get(episode=episode, number=number - 1)
        start = schedule.local_date(previous.answered_at or now or timezone.now())
    due_at = schedule.due_at_for(start)
    follow_up, _created = FollowUp.objects.get_or_create(
        episode=episode, number=number, defaults={"due_at": due_at, "next_action_at": due_at}
    )
    return follow_up


# Follow-ups still waiting on the patient or on reception.
PENDING_STATES = (*SWEPT_STATES, *CALL_LIST_STATES)


def cancel_follow_ups(episode: Episode, *, by: Any = None, reason: str) -> int:
    """Cancel the episode's pending follow-ups, keeping why (``reason``, required) in
    the row; their links stop working. Discharge keeps the follow-up (the safety net)
    unless the patient was referred or the physiotherapist cancels it with a reason."""
    if not reason.strip():
        raise ValueError("a cancelled follow-up needs a reason")
    return FollowUp.objects.filter(episode=episode, state__in=PENDING_STATES).update(
        state=FollowUpState.CANCELLED,
        next_action_at=None,
        closed_at=timezone.now(),
        closed_by=by,
        cancel_reason=reason.strip(),
    )


def pending_follow_ups(episode: Episode) -> "list[FollowUp]":
    return list(FollowUp.objects.filter(episode=episode, state__in=PENDING_STATES))


# --- the sweep --------------------------------------------------------------------------


@dataclass
class SweepReport:
    counts: Counter[str] = field(default_factory=Counter)

    def __getitem__(self, step: str) -> int:
        return self.counts[step]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def __str__(self) -> str:
        steps = ("invited", "reminded", "expired", "call_list")
        return ", ".join(f"{step} {self.counts[step]}" for step in steps)


def run_sweep(now: datetime | None = None) -> SweepReport:
    """Move every follow-up whose next step is due at ``now`` (default: the clock).

    Invitations and reminders are only written between 08:00 and 20:00 local time;
    outside that window the sweep still expires links and fills the call list.
    """
    now = now or timezone.now()
    mail_allowed = schedule.mail_window_open(now)
    report = SweepReport()
    for _batch in range(SWEEP_MAX_BATCHES):
        if sweep_batch(now, mail_allowed=mail_allowed, report=report) < SWEEP_BATCH_SIZE:
            break
    return report


# What ``advance`` and ``_write_mail`` read: the sweep loads nothing else, as plain
# values (no model instances: a batch of 1,000 rows would spend most of its time there).
SWEEP_COLUMNS = (
    "pk",
    "state",
    "next_action_at",
    "due_at",
    "invited_at",
    "reminders_sent",
    "link_expires_at",
    "episode__intake_date",
    "episode__patient_id",
    "episode__patient__email",
    "episode__patient__email_consent",
    "episode__patient__language",
    "episode__patient__first_name",
)


@dataclass(slots=True)
class SweepRow:
    """One claimed follow-up as the sweep reads it (``SWEEP_COLUMNS``, in that order)."""

    pk: int
    state: str
    next_action_at: datetime | None
    due_at: datetime
    invited_at: datetime | None
    reminders_sent: int
    link_expires_at: datetime | None
    intake_date: date
    patient_id: int
    email: str
    email_consent: bool
    language: str
    first_name: str


@transaction.atomic
def sweep_batch(now: datetime, *, mail_allowed: bool, report: SweepReport) -> int:
    """Claim up to ``SWEEP_BATCH_SIZE`` due follow-ups and move each one step, writing
    their links and outbox rows, in one transaction. Returns how many were claimed.

    Each row's step is planned by ``advance``; the steps are then written set-wise: a
    few conditional UPDATEs (rows planned alike share one), then one multi-row INSERT
    for the links and one for the mail (tokens drawn in one call), only for the rows
    that moved."""
    due = FollowUp.objects.needing_action(now, mail_allowed=mail_allowed)
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    claimed = [SweepRow(*values) for values in due.values_list(*SWEEP_COLUMNS)[:SWEEP_BATCH_SIZE]]
    planned = [
        step
        for row in claimed
        if (step := advance(row, now, mail_allowed=mail_allowed)) is not None
    ]
    mailed: list[Step] = []
    for step in _apply(planned):
        report.counts[step.name] += 1
        if step.mail is not None:
            mailed.append(step)
    _write_mail(mailed, now)
    return len(claimed)


@dataclass
class Step:
    """One follow-up's next step: its name, the field changes, and the mail it sends."""

    follow_up: SweepRow
    name: str
    changes: dict[str, Any]
    mail: tuple[str, str] | None = None  # (template, purpose)


def advance(follow_up: SweepRow, now: datetime, *, mail_allowed: bool) -> Step | None:
    """The follow-up's next step at ``now``, or None when it has none yet (mail outside
    the window). Nothing is written here: ``sweep_batch`` applies the steps."""
    cannot_mail = _why_no_email(follow_up)
    if follow_up.state == FollowUpState.SCHEDULED:
        if cannot_mail:
            return _to_call_list(follow_up, cannot_mail, now)
        if not mail_allowed:
            return None
        return _plan(
            follow_up,
            "invited",
            mail=(INVITATION_TEMPLATE, "invitation"),
            state=FollowUpState.INVITED,
            invited_at=now,
            link_expires_at=schedule.link_expires_at(now),
            next_action_at=schedule.next_step_at(now, 0, now),
        )
    assert follow_up.link_expires_at is not None and follow_up.invited_at is not None  # noqa: S101
    if now >= follow_up.link_expires_at:
        return _plan(
            follow_up,
            "expired",
            state=FollowUpState.EXPIRED,
            call_reason=CallReason.NO_RESPONSE,
            call_listed_at=now,
        )
    if not mail_allowed:
        return None
    if cannot_mail:  # the address or the consent went away since the invitation
        return _to_call_list(follow_up, cannot_mail, now)
    sent = follow_up.reminders_sent + 1
    return _plan(
        follow_up,
        "reminded",
        mail=(REMINDER_TEMPLATE, f"reminder-{sent}"),
        state=FollowUpState.REMINDED,
        reminders_sent=sent,
        last_reminded_at=now,
        next_action_at=schedule.next_step_at(follow_up.invited_at, sent, now),
    )


def _why_no_email(row: SweepRow) -> str:
    if not row.email:
        return CallReason.NO_EMAIL
    if not row.email_consent:
        return CallReason.NO_CONSENT
    return ""


def _plan(
    follow_up: SweepRow, name: str, *, mail: tuple[str, str] | None = None, **changes: Any
) -> Step:
    changes.setdefault("next_action_at", None)
    return Step(follow_up, name, changes, mail)


def _apply(steps: list[Step]) -> list[Step]:
    """Write ``steps``, each only if its row is still as this sweep read it (state and
    ``next_action_at``: the claim); returns the steps that were written.

    Steps with the same changes from the same state and ``next_action_at`` share one
    UPDATE ... RETURNING id; a sweep usually writes a batch in one or a few statements.
    """
    groups: dict[tuple[Any, ...], list[Step]] = {}
    for step in steps:
        key = (
            step.follow_up.state,
            step.follow_up.next_action_at,
            tuple(sorted(step.changes.items())),
        )
        groups.setdefault(key, []).append(step)
    written: list[Step] = []
    for (state, next_action_at, _changes), group in groups.items():
        moved = _conditional_update(
            [step.follow_up.pk for step in group], state, next_action_at, group[0].changes
        )
        for step in group:
            if step.follow_up.pk in moved:
                for attribute, value in step.changes.items():
                    if attribute in SweepRow.__slots__:  # what the mail reads
                        setattr(step.follow_up, attribute, value)
                written.append(step)
    return written


def _conditional_update(
    ids: list[int], state: str, next_action_at: datetime | None, changes: dict[str, Any]
) -> set[int]:
    """UPDATE the rows ``ids`` still in ``state`` with that ``next_action_at``; the ids
    of the rows changed."""
    meta = FollowUp._meta
    quote = connection.ops.quote_name
    assignments, params = [], []
    for name, value in changes.items():
        model_field = meta.get_field(name)
        assignments.append(f"{quote(model_field.column)} = %s")
        params.append(model_field.get_db_prep_save(value, connection))
    next_field = meta.get_field("next_action_at")
    if next_action_at is None:
        next_condition = f"{quote(next_field.column)} IS NULL"
    else:
        next_condition = f"{quote(next_field.column)} = %s"
    placeholders = ", ".join(["%s"] * len(ids))
    query = (
        f"UPDATE {quote(meta.db_table)} SET {', '.join(assignments)} "  # noqa: S608 - model names
        f"WHERE {quote(meta.pk.column)} IN ({placeholders}) AND {quote('state')} = %s "
        f"AND {next_condition} RETURNING {quote(meta.pk.column)}"
    )
    params.extend(ids)
    params.append(state)
    if next_action_at is not None:
        params.append(next_field.get_db_prep_save(next_action_at, connection))
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return {row[0] for row in cursor.fetchall()}


def _to_call_list(follow_up: SweepRow, reason: str, now: datetime) -> Step:
    return _plan(
        follow_up,
        "call_list",
        state=FollowUpState.CALL_LIST,
        call_reason=reason,
        call_listed_at=now,
    )


def _questionnaire_url_maker() -> Any:
    """``questionnaire_url`` without a ``reverse()`` per mail (tokens are URL-safe)."""
    marker = "TOKEN"
    template = questionnaire_url(marker)
    head, _, tail = template.partition(marker)
    return lambda token: f"{head}{token}{tail}"


def _write_mail(steps: list[Step], now: datetime) -> None:
    """The links and outbox rows of the ``steps`` that send mail: one multi-row INSERT
    each (``bulk_create`` builds every row through the model layer, which cost more than
    the database's own work), the tokens drawn in one call."""
    if not steps:
        return
    tokens = new_tokens(len(steps))
    url_of = _questionnaire_url_maker()
    links: list[tuple[Any, ...]] = []
    emails: list[QueuedEmail] = []
    for step, token in zip(steps, tokens, strict=True):
        row = step.follow_up
        template, purpose = step.mail or ("", "")
        links.append((row.pk, hash_token(token), now, row.link_expires_at))
        emails.append(
            QueuedEmail(
                recipient=row.email,
                language=row.language,
                template=template,
                context={
                    "first_name": row.first_name,
                    "questionnaire_url": url_of(token),
                    "expires_on": schedule.local_date(row.link_expires_at).isoformat(),
                    "weeks": (schedule.local_date(row.due_at) - row.intake_date).days // 7,
                    "reminder_number": row.reminders_sent,
                },
                idempotency_key=f"followup-{row.pk}-{purpose}",
                patient_id=row.patient_id,
                reference=follow_up_reference(row),
                created_at=now,
            )
        )
    insert_rows(QuestionnaireLink, ("follow_up", "token_hash", "created_at", "expires_at"), links)
    queue_emails(emails)


def questionnaire_url(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("followups:questionnaire", args=[token])


def follow_up_reference(follow_up: FollowUp | SweepRow) -> str:
    """How the outbox names the follow-up a mail belongs to (``OutboundEmail.reference``)."""
    return f"{FOLLOW_UP_REFERENCE}{follow_up.pk}"


def move_to_call_list_after_failed_email(follow_up_id: int, *, now: datetime) -> bool:
    """The invitation or a reminder bounced for good: reception phones instead."""
    return bool(
        FollowUp.objects.filter(pk=follow_up_id, state__in=LINK_STATES).update(
            state=FollowUpState.CALL_LIST,
            call_reason=CallReason.EMAIL_FAILED,
            call_listed_at=now,
            next_action_at=None,
        )
    )


# --- answers ----------------------------------------------------------------------------


def _locked(follow_up: FollowUp) -> FollowUp:
    return (
        FollowUp.objects.select_for_update(of=("self",))
        .select_related("episode__patient", "episode__intake")
        .get(pk=follow_up.pk)
    )


def outcome_context(follow_up: FollowUp, on: date) -> dict[str, Any]:
    """The section-4 context from the record: the age on the follow-up date ``on`` (from
    the birth date), the intake's pain, ODI and lifetime facts, the previous follow-up's
    pain."""
    episode = follow_up.episode
    intake = episode.intake
    facts = intake.answers
    previous = (
        FollowUp.objects.filter(episode=episode, number=follow_up.number - 1)
        .values_list("pain_now", flat=True)
        .first()
    )
    return {
        "age": episode.patient.age_on(on),
        "baseline_pain": intake.pain_now,
        "baseline_odi": None if intake.odi_percent is None else float(intake.odi_percent),
        "previous_pain": previous,
        "cancer_history": facts.get("cancer_history", False),
        "osteoporosis_or_steroids": facts.get("osteoporosis_or_steroids", False),
        "immunosuppressed": facts.get("immunosuppressed", False),
        "intake_radiation": facts.get("radiation", "none"),
    }


@transaction.atomic
def record_answers(
    follow_up: FollowUp,
    answers: Mapping[str, Any],
    *,
    channel: str,
    start_back_items: Sequence[Any] | None = None,
    by: Any = None,
    link: QuestionnaireLink | None = None,
    now: datetime | None = None,
) -> FollowUp:
    """Store, score and classify follow-up answers (``pathway.services.answer_follow_up``
    acts on the outcome).

    ``answers`` are the section-4 answers; the context (age on the answer date, intake
    facts) comes from the record. ``start_back_items`` are the STarT Back answers asked
    again. Contradictory answers (``CHECK-ANSWERS``) put the follow-up on the call list
    to confirm by phone. Raises ``FollowUpClosed`` when the follow-up (or the link) can
    no longer be answered, and ``ValueError`` for invalid input, before anything is
    saved.
    """
    now = now or timezone.now()
    follow_up = _locked(follow_up)
    allowed = LINK_STATES if channel == AnswerChannel.LINK else PHONE_STATES
    if follow_up.state not in allowed:
        raise FollowUpClosed(follow_up.state)
    if link is not None:
        link.follow_up = follow_up
        if not link.is_open(now):
            raise FollowUpClosed("link")
    context = outcome_context(follow_up, schedule.local_date(now))
    result = rules.classify(answers, context, follow_up.number)
    validated = rules.validate_followup_answers(answers)
    start_back = None if start_back_items is None else scores.start_back(start_back_items)
    odi = None if validated.odi is None else scores.oswestry(validated.odi)
    follow_up.state = FollowUpState.ANSWERED
    follow_up.next_action_at = None
    follow_up.answered_at = now
    follow_up.answered_via = channel
    follow_up.answered_by = by
    follow_up.answers = dict(answers)
    follow_up.outcome_context = context
    follow_up.outcome = result.state
    follow_up.course = result.course
    follow_up.outcome_reasons = list(result.reasons)
    follow_up.outcome_disposition = result.disposition or ""
    follow_up.rule_version = result.rule_version
    follow_up.pain_now = validated.pain_now
    follow_up.odi_percent = None if odi is None else Decimal(str(odi))
    if start_back is not None:
        follow_up.start_back_items = list(start_back_items or ())
        follow_up.start_back_total = start_back.total
        follow_up.start_back_psychosocial = start_back.psychosocial
        follow_up.start_back_risk = start_back.risk
    if rules.CHECK_ANSWERS in result.reasons:
        follow_up.confirm_by_phone = True
        follow_up.call_reason = CallReason.CHECK_ANSWERS
        follow_up.call_listed_at = now
        follow_up.call_attempts = 0
        follow_up.last_call_at = None
        follow_up.last_call_result = ""
    follow_up.save()
    if link is not None:
        QuestionnaireLink.objects.filter(pk=link.pk).update(used_at=now)
    return follow_up


def mark_course_carried_out(follow_up: FollowUp, *, now: datetime) -> bool:
    """Record that the course's next step was taken (once: a conditional update)."""
    return bool(
        FollowUp.objects.filter(pk=follow_up.pk, course_carried_out_at__isnull=True).update(
            course_carried_out_at=now
        )
    )


# --- the call list ----------------------------------------------------------------------

LOST_TEMPLATE = "followup_lost"


@transaction.atomic
def record_call(
    follow_up: FollowUp, *, result: str, by: Any, note: str = "", now: datetime | None = None
) -> FollowUp:
    """Reception phoned the patient on the call list.

    - ``declined``: the patient was reached and declined to answer; ``note`` (the
      reason) is required. The follow-up is done.
    - ``confirmed``: for answers to confirm by phone (``CHECK-ANSWERS``) only: the
      patient confirmed them; the follow-up leaves the call list.
    - ``not_reached``: it stays on the list; after ``MAX_CALL_ATTEMPTS`` tries a
      follow-up without answers closes as ``lost``, the physiotherapist gets an alert and
      the patient a message (``lost_message``). Answers to confirm stay as answered and
      the physiotherapist gets the same alert.

    Answers taken by phone go through ``pathway.answer_follow_up`` instead.
    """
    now = now or timezone.now()
    follow_up = _locked(follow_up)
    confirming = follow_up.state == FollowUpState.ANSWERED and follow_up.confirm_by_phone
    if not confirming and follow_up.state not in CALL_LIST_STATES:
        raise FollowUpClosed(follow_up.state)
    if result == CallResult.DECLINED and not note.strip():
        raise ValueError("a declined follow-up needs the patient's reason")
    if result == CallResult.CONFIRMED and not confirming:
        raise ValueError("only answers to confirm can be confirmed")
    if result not in (CallResult.DECLINED, CallResult.CONFIRMED, CallResult.NOT_REACHED):
        raise ValueError(f"unknown call result {result!r}")
    follow_up.call_attempts += 1
    follow_up.last_call_at = now
    follow_up.last_call_result = result
    follow_up.call_note = note.strip()
    reached = result != CallResult.NOT_REACHED
    given_up = not reached and follow_up.call_attempts >= MAX_CALL_ATTEMPTS
    if confirming and (reached or given_up):
        follow_up.confirm_by_phone = False
    elif reached:
        follow_up.state = FollowUpState.DONE
        follow_up.closed_at = now
        follow_up.closed_by = by
    elif given_up:
        follow_up.state = FollowUpState.LOST
        follow_up.closed_at = now
        follow_up.closed_by = by
    follow_up.save()
    if given_up:
        raise_alert(
            follow_up.episode, kind=AlertKind.LOST, disposition=Disposition.PHYSIO, reasons=()
        )
        if not confirming:
            _send_lost_message(follow_up, now)
    return follow_up


def _send_lost_message(follow_up: FollowUp, now: datetime) -> bool:
    """E-mail the patient the safety net (warning signs, "still in pain: contact your
    GP", both campus phone numbers); False when there is no address or consent: staff
    print the letter (``followups:lost_letter``) instead."""
    patient = follow_up.episode.patient
    if not patient.can_receive_email:
        return False
    queue_email(
        to=patient.email,
        language=patient.language,
        template=LOST_TEMPLATE,
        context={"first_name": patient.first_name, "campuses": campus_phones()},
        idempotency_key=f"followup-{follow_up.pk}-lost",
        patient_id=patient.pk,
        reference=follow_up_reference(follow_up),
    )
    return True


# --- figures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    week_start: datetime
    week_end: datetime
    due_this_week: int
    invited_this_week: int
    window_start: datetime
    invited_in_window: int
    answered_by_link: int
    answered_by_phone: int
    on_call_list: int
    mail_pending: int
    oldest_pending_at: datetime | None
    mail_failed: int

    @property
    def response_rate(self) -> float | None:
        """Share of invitations of the last eight weeks answered through the link."""
        if not self.invited_in_window:
            return None
        return self.answered_by_link / self.invited_in_window


def operational_figures(now: datetime | None = None) -> Figures:
    """The follow-up engine at a glance, in a fixed handful of indexed queries."""
    now = now or timezone.now()
    week_start, week_end = schedule.week_bounds(now)
    window_start = now - RESPONSE_RATE_WINDOW
    cohort = FollowUp.objects.invited_between(window_start, now).aggregate(
        invited=Count("pk"),
        by_link=Count("pk", filter=Q(answered_via=AnswerChannel.LINK)),
        by_phone=Count("pk", filter=Q(answered_via=AnswerChannel.PHONE)),
    )
    pending = OutboundEmail.objects.filter(state__in=PENDING_EMAIL_STATES).aggregate(
        count=Count("pk"), oldest=Min("created_at")
    )
    return Figures(
        week_start=week_start,
        week_end=week_end,
        due_this_week=FollowUp.objects.due_between(week_start, week_end).count(),
        invited_this_week=FollowUp.objects.invited_between(week_start, week_end).count(),
        window_start=window_start,
        invited_in_window=cohort["invited"],
        answered_by_link=cohort["by_link"],
        answered_by_phone=cohort["by_phone"],
        on_call_list=FollowUp.objects.call_list().count(),
        mail_pending=pending["count"],
        oldest_pending_at=pending["oldest"],
        mail_failed=OutboundEmail.objects.failures_to_review().count(),
    )
