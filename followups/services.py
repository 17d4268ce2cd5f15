"""Follow-up workflows: schedule, the per-minute sweep, answers, the call list.

Each workflow is one transaction. The sweep claims due rows in batches —
``select_for_update(skip_locked=True)`` where the database has it (PostgreSQL), and on
every database each step is a conditional update on the state it saw — so two sweeps
at the same time never move the same follow-up twice, and a batch that dies half-way
leaves nothing behind.
"""

from collections import Counter
from collections.abc import Mapping
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
from intake.models import Episode, EpisodeState
from intake.scores import oswestry
from outbox.models import PENDING_EMAIL_STATES, OutboundEmail
from outbox.services import queue_emails

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
    episode: Episode, *, number: int = 1, now: datetime | None = None
) -> FollowUp:
    """Create follow-up ``number`` of ``episode`` (idempotent) in the caller's transaction.

    Number 1 is due 42 days after the intake date, 09:00 local time. Number 2 (an
    improving case) is due 42 days after number 1's due date; when a late answer by
    phone has already passed that day, 42 days after the answer.
    """
    if number == 1:
        start = episode.intake_date
    else:
        previous = FollowUp.objects.get(episode=episode, number=number - 1)
        start = schedule.local_date(previous.due_at)
        today = schedule.local_date(now or timezone.now())
        if start + timedelta(days=schedule.FOLLOW_UP_AFTER_DAYS) <= today:
            start = today
    due_at = schedule.due_at_for(start)
    follow_up, _created = FollowUp.objects.get_or_create(
        episode=episode, number=number, defaults={"due_at": due_at, "next_action_at": due_at}
    )
    return follow_up


# Follow-ups still waiting on the patient or on reception: discharge cancels them all,
# so no reminder or call-list entry reaches a patient whose episode is closed.
PENDING_STATES = (*SWEPT_STATES, *CALL_LIST_STATES)


def cancel_follow_ups(episode: Episode, *, by: Any = None) -> int:
    """Cancel the episode's pending follow-ups (e.g. on discharge); their links stop working."""
    return FollowUp.objects.filter(episode=episode, state__in=PENDING_STATES).update(
        state=FollowUpState.CANCELLED, next_action_at=None, closed_at=timezone.now(), closed_by=by
    )


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
        steps = ("invited", "reminded", "expired", "call_list", "cancelled")
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
    "episode__state",
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
    episode_state: str
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
        if follow_up.episode_state == EpisodeState.CLOSED:
            return _plan(follow_up, "cancelled", state=FollowUpState.CANCELLED, closed_at=now)
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
    emails: list[OutboundEmail] = []
    for step, token in zip(steps, tokens, strict=True):
        row = step.follow_up
        template, purpose = step.mail or ("", "")
        links.append((row.pk, hash_token(token), now, row.link_expires_at))
        emails.append(
            OutboundEmail(
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
                next_attempt_at=now,
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


@transaction.atomic
def record_answers(
    follow_up: FollowUp,
    answers: Mapping[str, Any],
    *,
    channel: str,
    by: Any = None,
    link: QuestionnaireLink | None = None,
    now: datetime | None = None,
) -> FollowUp:
    """Store, score and classify follow-up answers (``pathway.services.answer_follow_up``
    acts on the outcome).

    ``answers`` are the section-4 answers (without ``age``: it is taken from the
    intake). Raises ``FollowUpClosed`` when the follow-up (or the link) can no longer
    be answered, and ``outcome.FollowUpInputError`` for invalid answers.
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
    intake = getattr(follow_up.episode, "intake", None)
    full_answers = {**answers, "age": intake.answers.get("age") if intake else None}
    result = rules.classify(full_answers, intake.pain_now if intake else None, follow_up.number)
    validated = rules.validate_followup_answers(full_answers)
    odi = None if validated.odi is None else oswestry(validated.odi)
    follow_up.state = FollowUpState.ANSWERED
    follow_up.next_action_at = None
    follow_up.answered_at = now
    follow_up.answered_via = channel
    follow_up.answered_by = by
    follow_up.answers = full_answers
    follow_up.outcome = result.state
    follow_up.outcome_reasons = list(result.reasons)
    follow_up.outcome_disposition = result.disposition or ""
    follow_up.rule_version = result.rule_version
    follow_up.pain_now = validated.pain_now
    follow_up.odi_percent = None if odi is None else Decimal(str(odi))
    follow_up.save()
    if link is not None:
        QuestionnaireLink.objects.filter(pk=link.pk).update(used_at=now)
    return follow_up


# --- the call list ----------------------------------------------------------------------


@transaction.atomic
def record_call(
    follow_up: FollowUp, *, result: str, by: Any, note: str = "", now: datetime | None = None
) -> FollowUp:
    """Reception phoned the patient. Reached: done. Not reached: stays on the list,
    until ``MAX_CALL_ATTEMPTS`` tries."""
    now = now or timezone.now()
    follow_up = _locked(follow_up)
    if follow_up.state not in CALL_LIST_STATES:
        raise FollowUpClosed(follow_up.state)
    follow_up.call_attempts += 1
    follow_up.last_call_at = now
    follow_up.last_call_result = result
    follow_up.call_note = note
    if result == CallResult.REACHED or follow_up.call_attempts >= MAX_CALL_ATTEMPTS:
        follow_up.state = FollowUpState.DONE
        follow_up.closed_at = now
        follow_up.closed_by = by
    follow_up.save()
    return follow_up


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
