"""Audit trail: every read and change of patient data, append-only, browsable by managers."""

import logging
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.conf import settings
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from clinics.paging import page_size
from intake.models import IntakeAssessment, Patient
from records.changelog import CHANGE_LOGGED
from security.logging import RedactQueryStrings
from security.models import AppendOnlyError, ReadLog
from tests.factories import PatientFactory, make_intake

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (audit test)"


@pytest.fixture
def desk(desk):  # type: ignore[no-untyped-def]
    """The reception desk of tests/conftest.py, from a known browser and address."""
    desk.defaults.update(HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="192.0.2.44")
    return desk


def _patient_form(patient: Patient, **changes: object) -> dict[str, object]:
    data = {
        "insz": "",
        "no_insz_reason": patient.no_insz_reason,
        "last_name": patient.last_name,
        "first_name": patient.first_name,
        "birth_date": patient.birth_date.isoformat(),
        "sex": patient.sex,
        "language": patient.language,
        "email": patient.email,
        "phone": "",
        "postcode": patient.postcode,
        "gp_name": patient.gp_name,
        "gp_practice": patient.gp_practice,
        "email_consent": "on",
    }
    data.update(changes)
    return data


# --- reads -------------------------------------------------------------------------------


def test_opening_a_patient_file_is_logged_with_who_when_and_from_where(desk, receptionist):
    patient = PatientFactory()
    desk.get(reverse("intake:patient_detail", args=[patient.pk]))
    read = ReadLog.objects.get()
    assert (read.user, read.username, read.roles) == (receptionist, "sofie.reception", "reception")
    assert read.patient_id == patient.pk
    assert read.action == "view"
    assert read.content_type == ContentType.objects.get_for_model(Patient)
    assert (read.ip, read.user_agent) == ("192.0.2.44", BROWSER)
    assert read.path == f"/reception/patients/{patient.pk}/"


def test_opening_an_intake_result_is_logged_against_its_patient(desk):
    intake = make_intake()
    desk.get(reverse("intake:intake_result", args=[intake.pk]))
    read = ReadLog.objects.get()
    assert read.patient_id == intake.episode.patient_id
    assert read.content_type == ContentType.objects.get_for_model(IntakeAssessment)
    assert read.object_id == intake.pk


def test_opening_the_edit_form_is_logged_and_saving_is_a_change(desk):
    patient = PatientFactory(postcode="2880")
    desk.get(reverse("intake:patient_edit", args=[patient.pk]))
    desk.post(reverse("intake:patient_edit", args=[patient.pk]), _patient_form(patient))
    assert list(ReadLog.objects.values_list("action", flat=True)) == ["edit_form"]


def test_a_search_logs_what_kind_of_search_and_who_was_shown_not_the_text(desk):
    shown = [PatientFactory(last_name="Peeters"), PatientFactory(last_name="Peeters")]
    PatientFactory(last_name="Maes")
    desk.get(reverse("intake:patient_search"), {"q": "peeters"})
    reads = ReadLog.objects.order_by("patient_id")
    assert [r.patient_id for r in reads] == sorted(p.pk for p in shown)
    assert {(r.action, r.detail) for r in reads} == {("search", "name")}
    assert not ReadLog.objects.filter(path__icontains="peeters").exists()


def test_a_search_that_finds_nobody_is_logged_too(desk):
    desk.get(reverse("intake:patient_search"), {"q": "01/02/1950"})
    read = ReadLog.objects.get()
    assert (read.patient_id, read.detail) == (None, "birth_date")


# --- changes -----------------------------------------------------------------------------


def test_a_change_is_logged_with_the_fields_the_user_and_the_address(desk, receptionist):
    patient = PatientFactory(postcode="2880", gp_name="Dr. A")
    desk.post(
        reverse("intake:patient_edit", args=[patient.pk]),
        _patient_form(patient, postcode="2870", gp_name="Dr. B"),
    )
    entry = LogEntry.objects.get_for_object(patient).get(action=LogEntry.Action.UPDATE)
    assert entry.actor == receptionist
    assert entry.remote_addr == "192.0.2.44"
    assert entry.additional_data == {"user_agent": BROWSER}
    assert {"postcode", "gp_name"} <= set(entry.changes_dict)
    assert entry.changes_dict["postcode"] == ["2880", "2870"]
    assert "name_key" not in entry.changes_dict


def test_registering_a_patient_and_recording_an_intake_are_logged(desk, receptionist):
    intake = make_intake(by=receptionist)
    for obj in (intake.episode.patient, intake.episode, intake):
        assert LogEntry.objects.get_for_object(obj).filter(action=LogEntry.Action.CREATE).exists()


def test_the_patient_data_models_of_every_installed_app_are_change_logged():
    expected = set(CHANGE_LOGGED)
    assert {Patient, IntakeAssessment} <= expected
    assert all(auditlog.contains(model) for model in expected)


# --- append-only -------------------------------------------------------------------------


def test_read_log_rows_cannot_be_changed_or_deleted(desk):
    desk.get(reverse("intake:patient_detail", args=[PatientFactory().pk]))
    read = ReadLog.objects.get()
    read.username = "someone else"
    with pytest.raises(AppendOnlyError), transaction.atomic():
        read.save()
    with pytest.raises(AppendOnlyError), transaction.atomic():
        read.delete()
    with pytest.raises(AppendOnlyError):
        ReadLog.objects.update(username="x")
    with pytest.raises(AppendOnlyError):
        ReadLog.objects.all().delete()
    assert ReadLog.objects.get().username == "sofie.reception"


def test_change_log_entries_cannot_be_changed_or_deleted():
    patient = PatientFactory()
    entry = LogEntry.objects.get_for_object(patient).get()
    entry.object_repr = "tampered"
    with pytest.raises(AppendOnlyError), transaction.atomic():
        entry.save()
    with pytest.raises(AppendOnlyError), transaction.atomic():
        entry.delete()
    with pytest.raises(AppendOnlyError), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).delete()
    assert LogEntry.objects.get(pk=entry.pk).object_repr != "tampered"


def test_not_even_an_admin_may_edit_the_read_log_in_the_admin(admin_user):
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    model_admin = admin.site._registry[ReadLog]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_the_change_log_with_its_old_values_is_not_in_the_admin(client, admin_user):
    entry = LogEntry.objects.get_for_object(PatientFactory()).get()
    assert LogEntry not in admin.site._registry
    client.force_login(admin_user)
    assert client.get(f"/admin/auditlog/logentry/{entry.pk}/delete/").status_code == 404


# --- the managers' page ------------------------------------------------------------------


def test_a_manager_sees_who_looked_at_a_file_and_which_fields_changed(
    desk, manager_client, receptionist
):
    patient = PatientFactory(gp_name="Dr. Old Value")
    desk.get(reverse("intake:patient_detail", args=[patient.pk]))
    desk.post(
        reverse("intake:patient_edit", args=[patient.pk]),
        _patient_form(patient, gp_name="Dr. New Value"),
    )
    response = manager_client.get(reverse("records:patient_audit", args=[patient.pk]))
    page = response.content.decode()
    assert "Who looked at this file" in page
    assert receptionist.get_full_name() in page  # the person, not the login name
    assert "sofie.reception" not in page
    assert "192.0.2.44" in page
    assert "GP name" in page and "gp_name" not in page  # the field's label
    assert "Dr. Old Value" not in page  # field names for the manager, not the values


def test_looking_at_the_audit_trail_is_itself_logged(manager_client, manager):
    patient = PatientFactory()
    manager_client.get(reverse("records:patient_audit", args=[patient.pk]))
    assert ReadLog.objects.get().action == "audit"


def test_managers_find_a_file_by_name(manager_client):
    patient = PatientFactory(last_name="Verstraeten")
    response = manager_client.get(reverse("records:audit_home"), {"q": "verstraeten"})
    assert list(response.context["patients"]) == [patient]
    assert ReadLog.objects.get().detail == "name"


@pytest.mark.parametrize("persona", ["receptionist", "physio", "coordinator_bornem"])
def test_other_roles_cannot_see_the_audit_trail(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    patient = PatientFactory()
    assert client.get(reverse("records:patient_audit", args=[patient.pk])).status_code == 403


def test_the_audit_page_runs_a_fixed_number_of_queries(
    desk, manager_client, django_assert_max_num_queries
):
    patient = PatientFactory()
    for _ in range(60):
        desk.get(reverse("intake:patient_detail", args=[patient.pk]))
    make_intake(patient)
    # The first request of a process also looks up the content types of the change-logged
    # models; measure the steady state (which tests ran before in this process decided
    # whether that lookup was counted).
    manager_client.get(reverse("records:patient_audit", args=[patient.pk]))
    # session (4: read, savepoint, save, release), user, roles, patient, read log insert,
    # reads page + count + the readers' names, changes page + count, erasures
    with django_assert_max_num_queries(14):
        response = manager_client.get(reverse("records:patient_audit", args=[patient.pk]))
    assert len(response.context["reads"]) == page_size()  # a full page


# --- logs and e-mails --------------------------------------------------------------------


def test_request_lines_are_logged_without_their_query_string():
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        "",
        0,
        '"%s" %s %s',
        ("GET /reception/patients/?q=Peeters+An HTTP/1.1", 200, 512),
        None,
    )
    RedactQueryStrings().filter(record)
    assert "Peeters" not in record.getMessage()
    assert "/reception/patients/?" in record.getMessage()


def test_server_errors_are_not_mailed_with_the_request(settings, mailoutbox):
    # Django's default logging would e-mail this error, with the request, to the ADMINS.
    settings.ADMINS = [("Beheer", "beheer@example.org")]
    request = RequestFactory().get("/reception/patients/", {"q": "Peeters An"})
    logging.getLogger("django.request").error(
        "Internal Server Error: %s", request.path, extra={"status_code": 500, "request": request}
    )
    assert mailoutbox == []


class _PersonalData(dict):
    """A template context in which every patient detail is a recognisable marker."""

    MARK = "PERSONAL-DATA"

    def __contains__(self, key: object) -> bool:
        return True

    def __getitem__(self, key: str) -> object:
        if key in {"clinic_name", "campus_name", "campus", "clinic", "days", "url"}:
            return "Backpath"
        return self.MARK


@pytest.mark.parametrize(
    "path",
    sorted((Path(settings.BASE_DIR) / "templates" / "emails").glob("*.subject.txt")),
    ids=lambda p: p.name,
)
def test_no_personal_data_in_e_mail_subjects(path):
    subject = Template(path.read_text(encoding="utf-8")).render(Context(_PersonalData()))
    assert _PersonalData.MARK not in subject


def test_opening_a_follow_up_result_or_phone_form_is_logged_against_its_patient(desk):
    from django.utils import timezone

    from followups.models import FollowUp, FollowUpState
    from tests.factories import make_follow_up

    answered = make_follow_up()
    FollowUp.objects.filter(pk=answered.pk).update(
        state=FollowUpState.ANSWERED, outcome="improving", answered_at=timezone.now()
    )
    on_call_list = make_follow_up()
    FollowUp.objects.filter(pk=on_call_list.pk).update(state=FollowUpState.CALL_LIST)
    desk.get(reverse("followups:result", args=[answered.pk]))
    desk.get(reverse("followups:phone_answers", args=[on_call_list.pk]))
    reads = list(ReadLog.objects.order_by("pk").values_list("patient_id", "action"))
    assert reads == [
        (answered.episode.patient_id, "view"),
        (on_call_list.episode.patient_id, "edit_form"),
    ]
