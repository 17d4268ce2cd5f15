"""The kiosk (issue 16): reception starts a tablet session with a short PIN; the tablet
shows only that patient's questionnaire, holds no staff rights, and is a neutral,
anonymous device again after the submit."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intake import services
from intake.models import IntakeAssessment, IntakeLink, IntakeSource
from tests.factories import PatientFactory
from tests.test_intake_desk import intake_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(db):
    return PatientFactory(language="fr")


def start(client, receptionist, patient):
    """Reception presses "open on the kiosk tablet"; returns the PIN the page shows."""
    client.force_login(receptionist)
    response = client.post(reverse("intake:intake_link", args=[patient.pk]), {"kiosk": "1"})
    assert response.status_code == 200
    return response.context["pin"].replace(" ", "")


def test_reception_gets_a_pin_and_stays_signed_in(client, receptionist, patient):
    pin = start(client, receptionist, patient)
    assert re.fullmatch(r"\d{6}", pin)
    assert client.get(reverse("intake:reception_home")).status_code == 200
    link = IntakeLink.objects.get()
    assert link.kiosk and pin not in link.pin_hash


def test_the_pin_opens_the_patients_questionnaire_on_the_tablet(client, receptionist, patient):
    pin = start(client, receptionist, patient)
    tablet = client.__class__()
    response = tablet.post(reverse("kiosk:home"), {"pin": pin})
    assert response.url == reverse("kiosk:intake")
    page = tablet.get(response.url)
    assert page.status_code == 200 and '<html lang="fr">' in page.content.decode()
    assert patient.first_name in page.content.decode()


def test_a_pin_works_once(client, receptionist, patient):
    pin = start(client, receptionist, patient)
    client.__class__().post(reverse("kiosk:home"), {"pin": pin})
    response = client.__class__().post(reverse("kiosk:home"), {"pin": pin})
    assert response.status_code == 400
    assert services.claim_kiosk_pin(pin) is None


def test_a_pin_expires(client, receptionist, patient):
    pin = start(client, receptionist, patient)
    later = timezone.now() + timedelta(minutes=IntakeLink.KIOSK_PIN_MINUTES + 1)
    with time_machine.travel(later):
        assert services.claim_kiosk_pin(pin) is None


def test_a_wrong_pin_is_refused_beside_the_field(client):
    response = client.post(reverse("kiosk:home"), {"pin": "000000"})
    assert response.status_code == 400
    assert response.context["form"].errors["pin"]


def test_the_pin_signs_a_staff_member_out_of_the_tablet(client, receptionist, patient):
    pin = start(client, receptionist, patient)
    client.post(reverse("kiosk:home"), {"pin": pin})  # the receptionist's own browser
    response = client.get(reverse("intake:reception_home"))
    assert response.status_code == 302 and reverse("login") in response.url


def test_after_the_submit_the_tablet_reaches_no_staff_page_and_no_questionnaire(
    client, receptionist, patient
):
    pin = start(client, receptionist, patient)
    tablet = client.__class__()
    tablet.post(reverse("kiosk:home"), {"pin": pin})
    done = tablet.post(reverse("kiosk:intake"), intake_form_data())
    assert done.status_code == 200 and done.context["kiosk"]
    assessment = IntakeAssessment.objects.get()
    assert assessment.source == IntakeSource.KIOSK
    reception = tablet.get(reverse("intake:reception_home"))
    assert reception.status_code == 302 and reverse("login") in reception.url
    assert tablet.get(reverse("kiosk:intake")).url == reverse("kiosk:home")


def test_the_start_page_ends_a_kiosk_session_left_idle(client, receptionist, patient):
    pin = start(client, receptionist, patient)
    tablet = client.__class__()
    tablet.post(reverse("kiosk:home"), {"pin": pin})
    tablet.get(reverse("kiosk:home"))  # what the idle timer opens
    assert tablet.get(reverse("kiosk:intake")).url == reverse("kiosk:home")
    assert not IntakeAssessment.objects.exists()


def test_a_kiosk_link_does_not_open_as_a_public_link(receptionist, patient):
    link, token = services.create_intake_link(patient, by=receptionist, kiosk=True)
    response = Client().get(reverse("intake_public:self_intake", args=[token]))
    assert response.status_code == 404


def test_kiosk_pages_say_when_to_return_to_the_start(client, receptionist, patient):
    pin = start(client, receptionist, patient)
    tablet = client.__class__()
    tablet.post(reverse("kiosk:home"), {"pin": pin})
    page = tablet.get(reverse("kiosk:intake")).content.decode()
    assert 'data-kiosk-idle="120"' in page
    assert f'data-kiosk-home="{reverse("kiosk:home")}"' in page
