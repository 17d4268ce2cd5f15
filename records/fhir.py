"""A patient's record as a FHIR R4 Bundle (type "collection").

Patient, EpisodeOfCare per episode, QuestionnaireResponse per intake (and per answered
follow-up), Observation per score (pain NRS, STarT Back, Oswestry) and ServiceRequest
per pain-clinic referral. Plain dicts, no FHIR library at run time; the tests validate
the output with the ``fhir.resources`` package (its R4B models, which match R4 for
these resources).

References inside the bundle are the entries' ``urn:uuid`` full URLs, stable per row.
"""

import uuid
from datetime import datetime, time
from decimal import Decimal
from typing import Any

from django.utils import timezone

from followups.models import FollowUp
from intake.models import EpisodeState, IntakeAssessment, Patient
from referrals.models import Referral

SSIN_SYSTEM = "https://www.ehealth.fgov.be/standards/fhir/core/NamingSystem/ssin"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
# Backpath's own codes where no standard code exists (STarT Back, Oswestry as %).
SCORE_SYSTEM = "urn:backpath:fhir:score"

GENDER = {"F": "female", "M": "male", "X": "other"}
EPISODE_STATUS = {
    EpisodeState.OPEN: "waitlist",
    EpisodeState.IN_TREATMENT: "active",
    EpisodeState.AWAITING_GP: "onhold",
    EpisodeState.EMERGENCY: "onhold",
    EpisodeState.CLOSED: "finished",
}
REFERRAL_STATUS = {
    "proposed": "draft",
    "sent": "active",
    "accepted": "active",
    "booked": "active",
    "seen": "completed",
    "closed": "completed",
    "declined": "revoked",
    "cancelled": "revoked",
}
START_BACK_ITEMS = 9
ODI_SECTIONS = 10


def _urn(resource_type: str, resource_id: str) -> str:
    """The entry's full URL: a UUID stable for the row, so references hold."""
    name = f"backpath:{resource_type}/{resource_id}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def _ref(resource_type: str, resource_id: str) -> dict[str, str]:
    return {"reference": _urn(resource_type, resource_id)}


def _instant(value: datetime) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


def _value(value: Any) -> dict[str, Any] | None:
    """One FHIR answer value for a JSON value, or None when there is no answer."""
    if value is None:
        return None
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, int):
        return {"valueInteger": value}
    if isinstance(value, float | Decimal):
        return {"valueDecimal": float(value)}
    return {"valueString": str(value)}


def _items(answers: dict[str, Any]) -> list[dict[str, Any]]:
    items = []
    for key in sorted(answers):
        value = answers[key]
        item: dict[str, Any] = {"linkId": key}
        if isinstance(value, dict):
            item["item"] = _items(value) or [{"linkId": f"{key}.empty"}]
        elif isinstance(value, list):
            children = _items({f"{key}.{n}": v for n, v in enumerate(value, start=1)})
            if children:
                item["item"] = children
        else:
            answer = _value(value)
            if answer is not None:
                item["answer"] = [answer]
        items.append(item)
    return items


def _patient(patient: Patient) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": f"patient-{patient.pk}",
        "name": [{"use": "official", "family": patient.last_name, "given": [patient.first_name]}],
        "gender": GENDER.get(patient.sex, "unknown"),
        "birthDate": patient.birth_date.isoformat(),
        "address": [{"postalCode": patient.postcode, "country": "BE"}],
        "communication": [
            {
                "language": {"coding": [{"system": "urn:ietf:bcp:47", "code": patient.language}]},
                "preferred": True,
            }
        ],
    }
    if patient.insz:
        resource["identifier"] = [{"system": SSIN_SYSTEM, "value": patient.insz}]
    telecom = []
    if patient.email:
        telecom.append({"system": "email", "value": patient.email})
    if patient.phone:
        telecom.append({"system": "phone", "value": patient.phone, "use": "mobile"})
    if telecom:
        resource["telecom"] = telecom
    gp = ", ".join(part for part in (patient.gp_name, patient.gp_practice) if part)
    if gp:
        resource["generalPractitioner"] = [{"display": gp}]
    return resource


def _episode(episode: Any, patient_ref: dict[str, str]) -> dict[str, Any]:
    period: dict[str, str] = {"start": episode.intake_date.isoformat()}
    if episode.closed_at:
        period["end"] = _instant(episode.closed_at)
    return {
        "resourceType": "EpisodeOfCare",
        "id": f"episode-{episode.pk}",
        "status": EPISODE_STATUS.get(episode.state, "active"),
        "type": [{"text": "Low back pain care pathway"}],
        "patient": patient_ref,
        "period": period,
    }


def _intake_response(intake: IntakeAssessment, patient_ref: dict[str, str]) -> dict[str, Any]:
    answers: dict[str, Any] = dict(intake.answers)
    answers["medication"] = intake.medication or None
    # Empty for an emergency saved before the scores were asked.
    answers["start_back"] = {
        f"start_back.{n}": value for n, value in enumerate(intake.start_back_items or (), start=1)
    }
    answers["odi"] = {
        f"odi.{n}": value for n, value in enumerate(intake.odi_sections or (), start=1)
    }
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": f"intake-{intake.pk}",
        "status": "completed",
        "subject": patient_ref,
        "authored": _instant(intake.recorded_at),
        "item": _items(answers),
    }
    if intake.source != "desk":
        resource["author"] = patient_ref
    return resource


def _observation(
    kind: str,
    pk: Any,
    *,
    code: dict[str, Any],
    patient_ref: dict[str, str],
    at: datetime,
    value: dict[str, Any],
    derived_from: str,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"{kind}-{pk}",
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey"}]}],
        "code": code,
        "subject": patient_ref,
        "effectiveDateTime": _instant(at),
        "derivedFrom": [{"reference": derived_from}],
        **value,
        **extra,
    }


PAIN_CODE = {
    "coding": [
        {
            "system": LOINC,
            "code": "72514-3",
            "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
        }
    ],
    "text": "Pain now (0-10)",
}
START_BACK_CODE = {
    "coding": [{"system": SCORE_SYSTEM, "code": "start-back-total"}],
    "text": "STarT Back Screening Tool total score",
}
ODI_CODE = {
    "coding": [{"system": SCORE_SYSTEM, "code": "oswestry-percent"}],
    "text": "Oswestry Disability Index",
}


def _percent(value: Decimal) -> dict[str, Any]:
    return {"valueQuantity": {"value": float(value), "unit": "%", "system": UCUM, "code": "%"}}


def _intake_observations(intake: IntakeAssessment, patient_ref: dict[str, str]) -> list[Any]:
    source = _urn("QuestionnaireResponse", f"intake-{intake.pk}")
    common = {"patient_ref": patient_ref, "at": intake.recorded_at, "derived_from": source}
    observations = [
        _observation(
            "intake-pain",
            intake.pk,
            code=PAIN_CODE,
            value={"valueInteger": intake.pain_now},
            **common,
        ),
    ]
    if intake.start_back_total is not None:
        observations.append(
            _observation(
                "intake-startback",
                intake.pk,
                code=START_BACK_CODE,
                value={"valueInteger": intake.start_back_total},
                interpretation=[{"text": f"{intake.start_back_risk} risk"}],
                component=[
                    {
                        "code": {"text": "STarT Back psychosocial subscore"},
                        "valueInteger": intake.start_back_psychosocial,
                    }
                ],
                **common,
            )
        )
    if intake.odi_percent is not None:
        observations.append(
            _observation(
                "intake-odi",
                intake.pk,
                code=ODI_CODE,
                value=_percent(intake.odi_percent),
                **common,
            )
        )
    return observations


def _follow_up_resources(follow_up: FollowUp, patient_ref: dict[str, str]) -> list[Any]:
    if not follow_up.answered_at or not isinstance(follow_up.answers, dict):
        return []
    source = _urn("QuestionnaireResponse", f"follow-up-{follow_up.pk}")
    resources: list[Any] = [
        {
            "resourceType": "QuestionnaireResponse",
            "id": f"follow-up-{follow_up.pk}",
            "status": "completed",
            "subject": patient_ref,
            "authored": _instant(follow_up.answered_at),
            "item": _items(follow_up.answers),
        }
    ]
    common = {"patient_ref": patient_ref, "at": follow_up.answered_at, "derived_from": source}
    if follow_up.pain_now is not None:
        resources.append(
            _observation(
                "follow-up-pain",
                follow_up.pk,
                code=PAIN_CODE,
                value={"valueInteger": follow_up.pain_now},
                **common,
            )
        )
    if follow_up.odi_percent is not None:
        resources.append(
            _observation(
                "follow-up-odi",
                follow_up.pk,
                code=ODI_CODE,
                value=_percent(follow_up.odi_percent),
                **common,
            )
        )
    return resources


def _referral(referral: Referral, patient_ref: dict[str, str]) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": f"referral-{referral.pk}",
        "status": REFERRAL_STATUS.get(referral.state, "unknown"),
        "intent": "proposal" if referral.state == "proposed" else "order",
        "code": {"text": "Referral to the pain clinic"},
        "subject": patient_ref,
        "authoredOn": _instant(referral.created_at),
        "supportingInfo": [_ref("EpisodeOfCare", f"episode-{referral.episode_id}")],
    }
    if referral.reason:
        resource["reasonCode"] = [{"text": referral.reason}]
    if referral.campus_id:
        resource["performer"] = [{"display": f"Pain clinic, campus {referral.campus.name}"}]
    if referral.appointment_date:
        appointment_time = referral.appointment_time or time(0, 0)
        at = timezone.make_aware(datetime.combine(referral.appointment_date, appointment_time))
        resource["occurrenceDateTime"] = _instant(at)
    return resource


def patient_bundle(patient: Patient, *, now: datetime | None = None) -> dict[str, Any]:
    """The FHIR R4 collection Bundle of everything clinical held on the patient."""
    patient_ref = _ref("Patient", f"patient-{patient.pk}")
    resources: list[dict[str, Any]] = [_patient(patient)]
    resources += [
        _episode(episode, patient_ref) for episode in patient.episodes.order_by("intake_date", "pk")
    ]
    for intake in IntakeAssessment.objects.filter(episode__patient=patient).order_by("pk"):
        resources.append(_intake_response(intake, patient_ref))
        resources += _intake_observations(intake, patient_ref)

    for follow_up in FollowUp.objects.filter(episode__patient=patient).order_by("pk"):
        resources += _follow_up_resources(follow_up, patient_ref)

    referrals = Referral.objects.filter(episode__patient=patient).select_related("campus")
    resources += [_referral(referral, patient_ref) for referral in referrals.order_by("pk")]

    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "collection",
        "timestamp": _instant(now or timezone.now()),
        "entry": [
            {"fullUrl": _urn(resource["resourceType"], resource["id"]), "resource": resource}
            for resource in resources
        ],
    }
