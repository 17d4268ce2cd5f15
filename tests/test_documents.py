"""Documents fit to send: no referral letter without a GP (named or marked unknown), the
letter names the signing physiotherapist, a closed episode shows no next session."""

import datetime as dt

import pytest
from django.urls import reverse

from referrals import services
from referrals.models import ReferralState
from tests.factories import (
    PatientFactory,
    make_episode_in_treatment,
    make_plan,
    make_referral,
)
from tests.test_referral_letter_and_email import pdf_text

pytestmark = pytest.mark.django_db


def test_a_proposal_without_a_gp_has_no_letter_and_cannot_be_sent(physio):
    referral = make_referral(PatientFactory(gp_name="", gp_practice=""))
    assert not referral.letters.exists()
    with pytest.raises(services.GpNotRecorded):
        services.send_referral(referral, by=physio)
    referral.refresh_from_db()
    assert referral.state == ReferralState.PROPOSED  # nothing half-done


def test_a_gp_marked_unknown_lets_the_letter_go(physio):
    patient = PatientFactory(gp_name="", gp_practice="", gp_unknown=True, language="en")
    referral = services.send_referral(make_referral(patient), by=physio)
    assert referral.state == ReferralState.SENT
    assert "To: the general practitioner" in pdf_text(referral.letters.latest("version").pdf)


def test_the_letter_names_the_signing_physiotherapist(physio):
    physio.first_name, physio.last_name = "An", "Janssens"
    physio.save()
    episode = make_episode_in_treatment(physio, patient=PatientFactory(language="en"))
    referral = services.propose_referral(episode, source="physio", reason="NRS 7", by=physio)
    text = pdf_text(referral.letters.get().pdf)
    assert "Physiotherapist: An Janssens" in text


def test_reception_cannot_both_name_the_gp_and_mark_them_unknown():
    from intake.forms import PatientForm

    form = PatientForm(data={"gp_name": "Dr. X", "gp_unknown": "on"})
    form.is_valid()
    assert "gp_unknown" in form.errors


def test_a_closed_episode_shows_no_next_session(client, physio):
    from pathway.services import discharge

    episode = make_episode_in_treatment(physio)
    make_plan(episode, physio, next_session_on=episode.intake_date + dt.timedelta(days=3))
    discharge(episode, by=physio, outcome="recovered", note="")
    client.force_login(physio)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("treatment:episode", args=[episode.pk])).content.decode()
    assert "next session" not in page
    episode.treatment_plan.refresh_from_db()
    assert episode.treatment_plan.next_session_on is None


def _discharged(physio, **patient_fields):  # type: ignore[no-untyped-def]
    from pathway.services import discharge

    episode = make_episode_in_treatment(physio, patient=PatientFactory(**patient_fields))
    make_plan(episode, physio)
    discharge(episode, by=physio, outcome="recovered", note="Back at work.")
    return episode


def test_the_discharge_summary_is_a_page_in_the_patients_language(client, physio):
    episode = _discharged(physio, language="fr")
    client.force_login(physio)
    url = reverse("treatment:discharge_summary", args=[episode.pk])
    page = client.get(url).content.decode()
    assert "Rapport de fin de traitement" in page
    assert "Back at work." in page
    assert "Discharge summary:" in client.get(url, {"lang": "en"}).content.decode()  # the GP's


def test_the_discharge_summary_downloads_as_a_pdf(client, physio):
    episode = _discharged(physio, language="nl", first_name="Mieke", last_name="Peeters")
    client.force_login(physio)
    response = client.get(reverse("treatment:discharge_summary_pdf", args=[episode.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert "Mieke Peeters" in pdf_text(response.content)


def test_send_to_gp_queues_one_email_in_the_chosen_language(client, physio):
    from outbox.messages import render_email
    from outbox.models import OutboundEmail

    episode = _discharged(physio, language="fr", gp_email="dr.wouters@example.org")
    client.force_login(physio)
    url = reverse("treatment:discharge_summary_send", args=[episode.pk])
    client.post(url, {"lang": "nl"})
    client.post(url, {"lang": "nl"})  # twice: still one e-mail
    email = OutboundEmail.objects.get(template="discharge_summary")
    assert (email.recipient, email.language) == ("dr.wouters@example.org", "nl")
    assert email.context["title"].startswith("Afsluitverslag")  # the GP reads Dutch
    subject, text, _html = render_email(email)
    assert episode.patient.last_name not in subject
    assert episode.patient.last_name in text


def test_without_a_gp_email_nothing_is_sent(client, physio):
    from outbox.models import OutboundEmail

    episode = _discharged(physio, gp_email="")
    client.force_login(physio)
    client.post(reverse("treatment:discharge_summary_send", args=[episode.pk]))
    assert not OutboundEmail.objects.filter(template="discharge_summary").exists()


def test_the_physio_records_the_gp_on_the_proposal_and_the_letter_is_made(client, physio):
    referral = make_referral(PatientFactory(gp_name="", gp_practice=""))
    client.force_login(physio)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert "No GP recorded" in page
    refused = client.post(reverse("referrals:gp", args=[referral.pk]), {"gp_name": ""})
    assert refused.status_code == 400 and not referral.letters.exists()
    client.post(reverse("referrals:gp", args=[referral.pk]), {"gp_name": "Dr. Wouters"})
    assert referral.letters.count() == 1
    services.send_referral(referral, by=physio)  # no longer refused
