from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from clinics.tokens import hash_token
from intake.models import IntakeAssessment, IntakeSource
from intake.services import create_intake_link
from tests.factories import PatientFactory
from tests.test_intake_desk import intake_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def link_and_token(receptionist):
    patient = PatientFactory(language="fr", email="", email_consent=False, email_consent_at=None)
    return create_intake_link(patient, by=receptionist)


def url(token):
    return reverse("intake_public:self_intake", args=[token])


def test_the_link_opens_the_questionnaire_in_the_patients_language(client, link_and_token):
    _, token = link_and_token
    response = client.get(url(token))
    assert response.status_code == 200
    assert '<html lang="fr">' in response.content.decode()


def test_only_a_hash_of_the_token_is_stored(link_and_token):
    link, token = link_and_token
    assert token not in link.token_hash
    assert link.token_hash == hash_token(token)


def test_a_submitted_intake_lands_as_pending_for_reception(client, link_and_token):
    link, token = link_and_token
    response = client.post(url(token), intake_form_data())
    assert response.status_code == 200
    assessment = IntakeAssessment.objects.get()
    assert assessment.source == IntakeSource.SELF
    assert assessment.reviewed_at is None
    assert list(IntakeAssessment.objects.pending_review()) == [assessment]
    assert assessment.episode.patient == link.patient


def test_the_patient_sees_emergency_advice_at_once(client, link_and_token):
    _, token = link_and_token
    response = client.post(url(token), intake_form_data(bladder_bowel="True"))
    assert "bp-result-emergency" in response.content.decode()


def test_the_link_works_once(client, link_and_token):
    _, token = link_and_token
    client.post(url(token), intake_form_data())
    again = client.post(url(token), intake_form_data())
    assert again.status_code == 410
    assert IntakeAssessment.objects.count() == 1


def test_the_link_expires_after_seven_days(client, link_and_token):
    _, token = link_and_token
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        response = client.get(url(token))
    assert response.status_code == 410
    assert not IntakeAssessment.objects.exists()


def test_a_tampered_token_reveals_nothing(client, link_and_token):
    link, token = link_and_token
    response = client.get(url(token[:-2] + "xx"))
    assert response.status_code == 404
    assert link.patient.first_name not in response.content.decode()


def test_an_invalid_answer_keeps_the_link_usable(client, link_and_token):
    link, token = link_and_token
    response = client.post(url(token), intake_form_data(pain_now="11"))
    assert response.status_code == 200
    link.refresh_from_db()
    assert link.used_at is None
    assert not IntakeAssessment.objects.exists()


def test_the_patient_page_has_no_staff_navigation(client, link_and_token):
    _, token = link_and_token
    html = client.get(url(token)).content.decode()
    assert reverse("intake:reception_home") not in html


def test_reception_checks_a_pending_self_intake(client, receptionist, link_and_token):
    _, token = link_and_token
    client.post(url(token), intake_form_data())
    assessment = IntakeAssessment.objects.get()
    client.force_login(receptionist)
    client.post(reverse("intake:intake_review", args=[assessment.pk]))
    assessment.refresh_from_db()
    assert assessment.reviewed_by == receptionist
    assert not IntakeAssessment.objects.pending_review().exists()


def test_a_link_for_a_patient_with_consent_is_e_mailed_in_their_language(client, receptionist):
    from outbox.messages import render_email
    from outbox.models import OutboundEmail

    patient = PatientFactory(language="fr", email="marie@example.org")
    client.force_login(receptionist)
    response = client.post(reverse("intake:intake_link", args=[patient.pk]))
    assert response.status_code == 200
    email = OutboundEmail.objects.get(template="intake_link")
    assert email.recipient == "marie@example.org"
    subject, text, _html = render_email(email)
    assert response.context["url"] in text
    assert patient.last_name not in subject


def test_a_link_for_a_patient_without_consent_is_only_shown(client, receptionist):
    from outbox.models import OutboundEmail

    patient = PatientFactory(email_consent=False, email_consent_at=None)
    client.force_login(receptionist)
    response = client.post(reverse("intake:intake_link", args=[patient.pk]))
    assert response.context["emailed"] is False
    assert "/intake/" in response.context["url"]
    assert not OutboundEmail.objects.exists()
