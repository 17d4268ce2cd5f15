"""Intake workflows: register a patient, record an intake, links, alerts.

Each service is one transaction: a validation error leaves nothing half-saved.
"""

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
    Disposition,
    Episode,
    IntakeAssessment,
    IntakeLink,
    IntakeSource,
    Patient,
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
    start_back_items: Sequence[Any],
    odi_sections: Sequence[int | None],
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
    """
    now = recorded_at or timezone.now()
    intake_date = intake_date or timezone.localdate(now)
    clean = triage.validate_answers(answers)
    result = triage.triage_validated(clean)
    start = scores.start_back(start_back_items)
    odi = scores.oswestry(odi_sections)
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
        start_back_items=list(start_back_items),
        start_back_total=start.total,
        start_back_psychosocial=start.psychosocial,
        start_back_risk=start.risk,
        odi_sections=list(odi_sections),
        odi_percent=odi,
        disposition=disposition,
        reasons=list(result.reasons),
        rule_version=result.rule_version,
    )
    return assessment


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
