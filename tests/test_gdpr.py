"""GDPR: export of everything held on a patient (JSON, FHIR R4) and erasure on request."""

import json
from datetime import date, timedelta

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intake.models import Patient
from intake.services import create_intake_link
from pathway.services import admit_patient
from records.gdpr import export_record, retention_of
from security.models import ErasureRecord, ReadLog
from tests.conftest import signed_in
from tests.factories import PatientFactory, intake_answers

pytestmark = pytest.mark.django_db

PERSONAL = {
    "first_name": "Griet",
    "last_name": "Vandersanden",
    "insz": "85073003328",
    "birth_date": date(1985, 7, 30),
    "email": "griet.vandersanden@example.org",
    "phone": "+32470999888",
    "gp_name": "Dr. Kempeneers",
    "gp_practice": "Praktijk Zonnebloem",
    "no_insz_reason": "",
}
PERSONAL_TEXTS = ["Griet", "Vandersanden", "85073003328", "griet.vandersanden", "470999888",
                  "Kempeneers", "Zonnebloem", "1985-07-30"]  # fmt: skip


@pytest.fixture
def record(receptionist, physio, time_machine):  # type: ignore[no-untyped-def]
    """A patient with an intake, an answered follow-up, a sent referral (letter, e-mail)
    and an intake link: data in every app that holds any."""
    time_machine.move_to("2026-03-02 09:00 +01:00")
    patient = PatientFactory(**PERSONAL)
    intake = admit_patient(
        patient,
        answers=intake_answers(age=40),
        start_back_items=[1, 1, 0, 1, 0, 0, 1, 0, "very_much"],
        odi_sections=[2, 1, 2, 1, 2, 1, 1, 0, 1, 1],
        medication="Ibuprofen, says Griet",
        by=receptionist,
    )
    create_intake_link(patient, by=receptionist)
    follow_up = intake.episode.follow_ups.get(number=1)
    from demo.followups import PERSISTENT
    from followups.services import run_sweep
    from pathway.services import answer_follow_up
    from referrals.services import send_referral

    time_machine.move_to("2026-04-13 10:00 +02:00")
    run_sweep()  # the invitation e-mail with its questionnaire link
    time_machine.move_to("2026-04-14 10:00 +02:00")
    follow_up.refresh_from_db()
    answer_follow_up(follow_up, PERSISTENT, channel="link")
    referral = intake.episode.referrals.get()
    send_referral(referral, by=physio)
    return patient


def _dump() -> str:
    """Every row of the database as text (except framework tables without patient data)."""
    from io import StringIO

    out = StringIO()
    call_command("dumpdata", exclude=["contenttypes", "auth.permission", "sessions"], stdout=out)
    return out.getvalue()


# --- export ------------------------------------------------------------------------------


def test_the_json_export_holds_everything_about_the_patient(manager_client, record):
    response = manager_client.get(reverse("records:export_json", args=[record.pk]))
    assert response["Content-Disposition"] == f'attachment; filename="patient-{record.pk}.json"'
    assert response["Cache-Control"] == "no-store"
    data = json.loads(response.content)
    assert data["patient"]["insz"] == "85073003328"
    assert data["patient"]["email"] == PERSONAL["email"]
    assert {
        "intake.episode",
        "intake.intakeassessment",
        "intake.intakelink",
        "followups.followup",
        "outbox.outboundemail",
        "referrals.referral",
        "referrals.referralevent",
        "referrals.referralletter",
    } <= set(data["records"])
    assert data["records"]["intake.intakeassessment"][0]["medication"] == "Ibuprofen, says Griet"
    assert data["records"]["referrals.referralletter"][0]["pdf"].startswith("JVBER")  # %PDF
    assert data["changes"] and data["reads"]


def test_the_export_leaves_out_link_secrets(record):
    assert "token_hash" not in json.dumps(export_record(record), default=str)


def test_the_export_names_staff_by_role_not_by_name(manager_client, record, receptionist):
    c = Client()
    c.force_login(receptionist)
    c.get(reverse("intake:patient_detail", args=[record.pk]))
    data = export_record(record)
    assert {"at", "action", "detail", "by_roles"} == set(data["reads"][0])
    assert data["reads"][0]["by_roles"] == "reception"
    assert receptionist.username not in json.dumps(data["reads"], default=str)


def test_an_export_is_itself_logged(manager_client, record, manager):
    manager_client.get(reverse("records:export_fhir", args=[record.pk]))
    read = ReadLog.objects.get(action="export")
    assert (read.user, read.patient_id) == (manager, record.pk)


def test_the_fhir_export_is_a_valid_r4_bundle(manager_client, record):
    from fhir.resources.R4B.bundle import Bundle

    response = manager_client.get(reverse("records:export_fhir", args=[record.pk]))
    assert response["Content-Type"].startswith("application/fhir+json")
    bundle = Bundle.model_validate(json.loads(response.content))
    types = [entry.resource.get_resource_type() for entry in bundle.entry]
    assert {
        "Patient",
        "EpisodeOfCare",
        "QuestionnaireResponse",
        "Observation",
        "ServiceRequest",
    } <= set(types)
    assert types.count("QuestionnaireResponse") == 2  # the intake and the follow-up


def test_the_fhir_bundle_says_what_the_record_says(record):
    from records.fhir import patient_bundle

    bundle = patient_bundle(record)
    resources = {e["resource"]["id"]: e["resource"] for e in bundle["entry"]}
    full_urls = {e["fullUrl"] for e in bundle["entry"]}
    patient = resources[f"patient-{record.pk}"]
    assert patient["identifier"][0]["value"] == "85073003328"
    assert patient["name"][0] == {"use": "official", "family": "Vandersanden", "given": ["Griet"]}
    assert patient["birthDate"] == "1985-07-30"
    intake = record.episodes.get().intake
    pain = resources[f"intake-pain-{intake.pk}"]
    assert pain["code"]["coding"][0]["code"] == "72514-3"
    assert pain["valueInteger"] == intake.pain_now
    odi = resources[f"intake-odi-{intake.pk}"]
    assert odi["valueQuantity"]["value"] == float(intake.odi_percent)
    start_back = resources[f"intake-startback-{intake.pk}"]
    assert start_back["valueInteger"] == intake.start_back_total
    response = resources[f"intake-{intake.pk}"]
    answers = {item["linkId"]: item for item in response["item"]}
    assert answers["pain_now"]["answer"] == [{"valueInteger": intake.pain_now}]
    referral = next(r for r in resources.values() if r["resourceType"] == "ServiceRequest")
    assert referral["status"] == "active" and referral["intent"] == "order"
    references = [
        value["reference"]
        for resource in resources.values()
        for value in resource.values()
        if isinstance(value, dict) and "reference" in value
    ]
    assert references and set(references) <= full_urls


@pytest.mark.parametrize("url_name", ["records:export_json", "records:export_fhir"])
@pytest.mark.parametrize("persona", ["receptionist", "physio", "coordinator_rumst"])
def test_only_managers_export(client, request, persona, url_name):
    client.force_login(request.getfixturevalue(persona))
    patient = PatientFactory()
    assert client.get(reverse(url_name, args=[patient.pk])).status_code == 403


# --- erasure -----------------------------------------------------------------------------


def test_the_record_is_kept_30_years_after_the_last_activity(record):
    retention = retention_of(record)
    assert retention.years == 30
    # The last activity is the referral of 14 April 2026.
    assert retention.last_activity == date(2026, 4, 14)
    assert retention.keep_until == date(2056, 4, 14)


def test_a_request_within_the_retention_period_is_registered_and_refused(
    manager_client, record, manager
):
    response = manager_client.post(
        reverse("records:erase", args=[record.pk]), {"confirm": "on"}, follow=True
    )
    assert "must be kept until 14/04/2056" in response.content.decode()
    erasure = ErasureRecord.objects.get()
    assert (erasure.outcome, erasure.user, erasure.keep_until) == (
        "refused_retention",
        manager,
        date(2056, 4, 14),
    )
    assert Patient.objects.get(pk=record.pk).last_name == "Vandersanden"


def test_erasure_needs_the_confirmation(manager_client, record):
    response = manager_client.post(reverse("records:erase", args=[record.pk]), {})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not ErasureRecord.objects.exists()


def test_after_the_retention_period_erasure_leaves_nothing_that_identifies_the_patient(
    record, manager, time_machine
):
    time_machine.move_to("2056-04-15 10:00 +02:00")
    signed_in(manager).post(reverse("records:erase", args=[record.pk]), {"confirm": "on"})
    erasure = ErasureRecord.objects.get()
    assert erasure.outcome == "pseudonymised"
    everything = _dump()
    for text in PERSONAL_TEXTS:
        assert text not in everything, text
    patient = Patient.objects.get(pk=record.pk)
    assert patient.birth_date == date(1985, 7, 1)
    assert patient.insz is None and patient.email == "" and not patient.email_consent
    # The clinical data stays for the figures.
    intake = patient.episodes.get().intake
    assert intake.pain_now is not None and intake.disposition
    assert patient.episodes.get().follow_ups.get(number=1).outcome == "persistent"


def test_the_erasure_is_in_the_audit_trail_without_the_old_values(record, manager, time_machine):
    time_machine.move_to("2056-04-15 10:00 +02:00")
    manager_client = signed_in(manager)
    manager_client.post(reverse("records:erase", args=[record.pk]), {"confirm": "on"})
    entry = LogEntry.objects.get_for_object(record).order_by("-pk").first()
    assert entry.actor == manager
    assert "last_name" in entry.changes_dict
    assert "Vandersanden" not in json.dumps(entry.changes_dict)
    page = manager_client.get(reverse("records:patient_audit", args=[record.pk]))
    assert "pseudonymised" in page.content.decode()


def test_the_retention_period_is_a_setting(manager, settings, time_machine):
    settings.BACKPATH_RETENTION_YEARS = 1
    time_machine.move_to("2026-03-02 09:00 +01:00")
    patient = PatientFactory(**PERSONAL)
    time_machine.move_to(timezone.now() + timedelta(days=367))
    signed_in(manager).post(reverse("records:erase", args=[patient.pk]), {"confirm": "on"})
    assert ErasureRecord.objects.get().outcome == "pseudonymised"
    assert Patient.objects.get(pk=patient.pk).first_name == "-"


def test_a_patient_without_anything_but_a_registration_counts_from_registration(time_machine):
    time_machine.move_to("2026-03-02 09:00 +01:00")
    patient = PatientFactory()
    assert retention_of(patient).last_activity == date(2026, 3, 2)


# --- issue 15: rows deleted before the erasure ------------------------------------------

DELETED_TEXTS = ["Griet wil weer tuinieren", "Griets knie", "Sessie met Griet"]


def _treat_and_delete(record, physio):  # type: ignore[no-untyped-def]
    """Goals, exercises and a session written, changed and deleted before the erasure."""
    from treatment.models import Exercise, TreatmentSession
    from treatment.services import Goal, record_session, save_plan, take_episode

    episode = record.episodes.get()
    if episode.physio_id is None:
        assert take_episode(episode.pk, physio=physio)
        episode.refresh_from_db()
    exercises = list(Exercise.objects.active()[:2])
    later = episode.intake_date + timedelta(days=60)
    plan = {"approach": "physiotherapy", "sessions_per_week": 2, "planned_sessions": 8}
    save_plan(
        episode, by=physio, goals=[Goal(DELETED_TEXTS[0], later)], exercises=exercises, **plan
    )
    save_plan(episode, by=physio, goals=[Goal(DELETED_TEXTS[1], later)], exercises=[], **plan)
    save_plan(episode, by=physio, goals=[Goal("Walk", later)], exercises=exercises[:1], **plan)
    record_session(
        episode,
        by=physio,
        session_date=timezone.localdate(),
        pain_now=5,
        odi_percent=None,
        odi_sections=None,
        work_done="Mobilisation",
        adherence="",
        notes=DELETED_TEXTS[2],
        next_session_on=None,
    )
    TreatmentSession.objects.filter(episode=episode).delete()


def test_the_export_holds_the_change_log_of_rows_deleted_since(record, physio):
    _treat_and_delete(record, physio)
    changes = json.dumps(export_record(record)["changes"], default=str, ensure_ascii=False)
    for text in DELETED_TEXTS:
        assert text in changes, text


def test_erasure_scrubs_the_change_log_of_rows_deleted_before_it(
    record, physio, manager, time_machine
):
    _treat_and_delete(record, physio)
    assert all(text in _dump() for text in DELETED_TEXTS)  # the log holds them until now
    time_machine.move_to("2056-06-15 10:00 +02:00")
    signed_in(manager).post(reverse("records:erase", args=[record.pk]), {"confirm": "on"})
    assert ErasureRecord.objects.get().outcome == "pseudonymised"
    everything = _dump()
    for text in [*PERSONAL_TEXTS, *DELETED_TEXTS, "1985-07-30", "30/07/1985"]:
        assert text not in everything, text
