"""Intake workflows: register a patient, record an intake, links, alerts.

Each service is one transaction: a validation error leaves nothing half-saved.
"""

import secrets
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from clinics.tokens import hash_token, new_token
from intake import scores, triage
from intake.models import (
    STATE_FOR_DISPOSITION,
    Alert,
    AlertAction,
    Disposition,
    Episode,
    IntakeAssessment,
    IntakeLink,
    IntakeSource,
    Patient,
    StaffAction,
)
from outbox.services import queue_email


@transaction.atomic
def register_patient(*, by: Any, **fields: Any) -> Patient:
    """Create a patient from cleaned form data; dates the e-mail consent."""
    patient = Patient(created_by=by, **fields)
    if patient.email_consent and patient.email_consent_at is None:
        patient.email_consent_at = timezone.now()
    patient.full_clean()
    patient.save()
    return patient


@transaction.atomic
def update_patient(form: Any) -> Patient:
    """Save an edited patient form; dates the e-mail consent when it is newly given."""
    patient: Patient = form.save(commit=False)
    if patient.email_consent and patient.email_consent_at is None:
        patient.email_consent_at = timezone.now()
    if not patient.email_consent:
        patient.email_consent_at = None
    patient.save()
    return patient


def build_answers(patient: Patient, intake_date: date, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The section-1 answers document: the questionnaire fields plus the patient's age."""
    answers = {key: fields[key] for key in triage.INTAKE_FIELDS if key in fields and key != "age"}
    answers["age"] = patient.age_on(intake_date)
    return answers


@transaction.atomic
def record_intake(
    patient: Patient,
    *,
    answers: Mapping[str, Any],
    start_back_items: Sequence[Any] | None,
    odi_sections: Sequence[int | None] | None,
    medication: str = "",
    by: Any = None,
    source: str = IntakeSource.DESK,
    intake_date: date | None = None,
    recorded_at: datetime | None = None,
) -> IntakeAssessment:
    """Open an episode with its intake and triage it (``pathway.services.admit_patient``
    is the whole workflow: the alert and the follow-up come with it).

    ``answers`` is the section-1 answers object (see ``build_answers``). Invalid
    answers raise ``triage.TriageInputError``/``ValueError`` before anything is saved.
    ``recorded_at`` is for intakes typed in later (demo data, imports); default now.
    ``start_back_items``/``odi_sections`` are None when an emergency is saved before
    they were asked (``complete_intake_scores`` adds them later).
    """
    now = recorded_at or timezone.now()
    intake_date = intake_date or timezone.localdate(now)
    clean = triage.validate_answers(answers)
    result = triage.triage_validated(clean)
    score_fields = _score_fields(start_back_items, odi_sections)
    disposition = Disposition(result.disposition)

    episode = Episode.objects.create(
        patient=patient, intake_date=intake_date, state=STATE_FOR_DISPOSITION[disposition]
    )
    assessment = IntakeAssessment.objects.create(
        episode=episode,
        recorded_at=now,
        recorded_by=by,
        source=source,
        reviewed_at=now if source == IntakeSource.DESK else None,
        reviewed_by=by if source == IntakeSource.DESK else None,
        answers=dict(answers),
        medication=medication,
        pain_now=clean.pain_now,
        **score_fields,
        disposition=disposition,
        reasons=list(result.reasons),
        rule_version=result.rule_version,
    )
    return assessment


def _score_fields(
    start_back_items: Sequence[Any] | None, odi_sections: Sequence[int | None] | None
) -> dict[str, Any]:
    """The stored STarT Back and Oswestry fields; empty for what was not asked."""
    fields: dict[str, Any] = {
        "start_back_items": None,
        "start_back_total": None,
        "start_back_psychosocial": None,
        "start_back_risk": "",
        "odi_sections": None,
        "odi_percent": None,
    }
    if start_back_items is not None:
        start = scores.start_back(start_back_items)
        fields.update(
            start_back_items=list(start_back_items),
            start_back_total=start.total,
            start_back_psychosocial=start.psychosocial,
            start_back_risk=start.risk,
        )
    if odi_sections is not None:
        fields.update(odi_sections=list(odi_sections), odi_percent=scores.oswestry(odi_sections))
    return fields


@transaction.atomic
def complete_intake_scores(
    assessment: IntakeAssessment,
    *,
    start_back_items: Sequence[Any],
    odi_sections: Sequence[int | None],
) -> IntakeAssessment:
    """Add the STarT Back and Oswestry answers to an intake saved in an emergency.

    The triage is not touched: it never depended on them. Invalid answers raise
    ``ValueError`` before anything is saved.
    """
    fields = _score_fields(start_back_items, odi_sections)
    locked = IntakeAssessment.objects.select_for_update().get(pk=assessment.pk)
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save(update_fields=list(fields))
    return locked


@transaction.atomic
def record_alert_action(
    alert: Alert, *, action: str, done_at: datetime, note: str = "", by: Any
) -> AlertAction:
    """Record what staff did about an alert (sent to the emergency department, 112
    called, GP informed, patient refused); the record closes the alert if it is open."""
    if action not in StaffAction.values:
        raise ValueError(f"unknown staff action {action!r}")
    record = AlertAction.objects.create(
        alert=alert, action=action, done_at=done_at, note=note.strip(), recorded_by=by
    )
    Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=record.recorded_at, acknowledged_by=by
    )
    return record


def raise_alert(episode: Episode, *, kind: str, disposition: str, reasons: Sequence[str]) -> Alert:
    return Alert.objects.create(
        episode=episode, kind=kind, disposition=disposition, reasons=list(reasons)
    )


@transaction.atomic
def acknowledge_alert(alert_id: int, *, by: Any) -> bool:
    """Mark an alert seen; False when someone else already did (a conditional update)."""
    return bool(
        Alert.objects.filter(pk=alert_id, acknowledged_at__isnull=True).update(
            acknowledged_at=timezone.now(), acknowledged_by=by
        )
    )


@transaction.atomic
def create_intake_link(patient: Patient, *, by: Any, kiosk: bool = False) -> tuple[IntakeLink, str]:
    """A single-use intake link; returns the row and the raw token (shown once, never stored)."""
    token = new_token()
    link = IntakeLink.objects.create(
        patient=patient,
        token_hash=hash_token(token),
        created_by=by,
        expires_at=timezone.now() + timedelta(days=IntakeLink.LINK_DAYS),
        kiosk=kiosk,
    )
    return link, token


KIOSK_PIN_DIGITS = 6


def _pin_hash(pin: str) -> str:
    return hash_token(f"kiosk-pin:{pin}")


@transaction.atomic
def start_kiosk_intake(patient: Patient, *, by: Any) -> tuple[IntakeLink, str]:
    """A kiosk intake for ``patient``: a single-use link opened on the tablet with a
    short PIN (returned, never stored). No token of it is ever shown."""
    now = timezone.now()
    link, _token = create_intake_link(patient, by=by, kiosk=True)
    while True:
        pin = f"{secrets.randbelow(10**KIOSK_PIN_DIGITS):0{KIOSK_PIN_DIGITS}d}"
        if not IntakeLink.objects.filter(pin_hash=_pin_hash(pin), pin_expires_at__gt=now).exists():
            break
    link.pin_hash = _pin_hash(pin)
    link.pin_expires_at = now + timedelta(minutes=IntakeLink.KIOSK_PIN_MINUTES)
    link.expires_at = now + timedelta(hours=IntakeLink.KIOSK_LINK_HOURS)
    link.save(update_fields=["pin_hash", "pin_expires_at", "expires_at"])
    return link, pin


def claim_kiosk_pin(pin: str) -> IntakeLink | None:
    """The kiosk link a PIN opens, spending the PIN; None when wrong, used or expired."""
    pin = "".join(pin.split())
    if len(pin) != KIOSK_PIN_DIGITS or not pin.isdigit():
        return None
    now = timezone.now()
    candidates = IntakeLink.objects.filter(
        pin_hash=_pin_hash(pin), pin_expires_at__gt=now, used_at__isnull=True, kiosk=True
    )
    link = candidates.select_related("patient").first()
    if link is None or not candidates.filter(pk=link.pk).update(pin_hash="", pin_expires_at=None):
        return None
    return link


def use_intake_link(link: IntakeLink) -> bool:
    """Spend a link; False when it was already used or has expired (a conditional update)."""
    now = timezone.now()
    return bool(
        IntakeLink.objects.filter(pk=link.pk, used_at__isnull=True, expires_at__gt=now).update(
            used_at=now
        )
    )


@transaction.atomic
def review_intake(intake_id: int, *, by: Any) -> bool:
    """Reception has checked a patient's own intake."""
    return bool(
        IntakeAssessment.objects.filter(pk=intake_id, reviewed_at__isnull=True).update(
            reviewed_at=timezone.now(), reviewed_by=by
        )
    )


@transaction.atomic
def email_intake_link(link: IntakeLink, url: str) -> bool:
    """Queue the intake-link e-mail in the patient's language; False without e-mail/consent."""
    patient = link.patient
    if not patient.can_receive_email:
        return False
    queue_email(
        to=patient.email,
        language=patient.language,
        template="intake_link",
        context={"url": url, "first_name": patient.first_name, "days": IntakeLink.LINK_DAYS},
        idempotency_key=f"intake-link:{link.pk}",
        patient_id=patient.pk,
    )
    return True
