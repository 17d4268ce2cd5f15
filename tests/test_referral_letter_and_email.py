import datetime as dt
import re
import zlib

import pytest
import time_machine
from django.utils import translation

from clinics.models import Campus
from referrals import services
from referrals.letter import letter_content
from tests.factories import PatientFactory, make_referral

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def pdf_text(data: bytes) -> str:
    """The text shown on the pages of an fpdf2 PDF (its content streams, decompressed)."""
    streams = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", bytes(data), re.S):
        try:
            streams.append(zlib.decompress(match.group(1)).decode("cp1252"))
        except zlib.error:
            continue
    shown = re.findall(r"\((.*?)\) Tj", "\n".join(streams))
    return "\n".join(shown).replace("\\(", "(").replace("\\)", ")")


def outbox():
    from outbox.models import OutboundEmail

    return OutboundEmail.objects.filter(template="referral_sent")


# --- the letter ---------------------------------------------------------------------------


def test_the_letter_is_addressed_to_the_gp_and_identifies_the_patient():
    patient = PatientFactory(
        first_name="Mieke", last_name="Peeters", gp_name="Dr. Wouters", language="en"
    )
    text = pdf_text(make_referral(patient, reason="NRS 7 at six weeks").letters.get().pdf)
    assert "To: Dr. Wouters" in text
    assert "Mieke Peeters" in text
    assert patient.birth_date.strftime("%d/%m/%Y") in text
    assert "NRS 7 at six weeks" in text


def test_the_letter_tells_the_episode_timeline():
    patient = PatientFactory(language="en")
    text = pdf_text(make_referral(patient).letters.get().pdf)
    assert "Intake date" in text
    assert "02/03/2026" in text
    assert "STarT Back" in text
    assert "low risk (total 1/9, psychosocial 0/5)" in text
    assert "pain 5/10, Oswestry 24.0%" in text


def test_the_letter_shows_the_six_week_scores_when_a_follow_up_was_answered():
    from followups.models import FollowUp

    referral = make_referral(patient=PatientFactory(language="en"))
    FollowUp.objects.update_or_create(
        episode=referral.episode,
        number=1,
        defaults={
            "due_at": NOW,
            "state": "answered",
            "answered_at": NOW,
            "answers": {"still_back_pain": True, "pain_now": 6, "global_change": "same"},
            "outcome": "persistent",
            "pain_now": 6,
        },
    )
    with translation.override("en"):
        content = letter_content(referral)
    rows = dict(content.sections[1].rows)
    assert rows["Scores at six weeks (02/03/2026)"] == "pain 6/10"


def test_the_letter_is_written_in_the_patients_language():
    referral = make_referral(patient=PatientFactory(language="fr"))
    content = letter_content(referral)
    with translation.override("fr"):
        expected = translation.gettext("Reason for referral")
    assert content.language == "fr"
    assert content.sections[2].title == expected


def test_the_letter_names_the_campus_and_why_it_was_chosen():
    referral = make_referral(patient=PatientFactory(language="en", postcode="2840"))
    with translation.override("en"):
        content = letter_content(referral)
    assert content.subject == "Referral to the pain clinic, campus Rumst"
    assert (
        "Campus: Rumst (postcode 2840 is in the Rumst catchment)." in content.sections[2].paragraphs
    )


def test_a_letter_survives_characters_outside_the_pdf_font():
    referral = make_referral(reason="pain ↑ after work → needs a plan")
    assert bytes(referral.letters.get().pdf).startswith(b"%PDF")


def test_a_new_letter_version_can_be_made_while_the_referral_is_active(physio):
    referral = make_referral()
    letter = services.regenerate_letter(referral, by=physio)
    assert letter.version == 2
    assert referral.events.filter(action="letter").count() == 1


# --- the patient e-mail -------------------------------------------------------------------


def test_sending_queues_one_email_to_the_patient_in_their_language(physio):
    referral = make_referral(patient=PatientFactory(language="fr", postcode="2840"))
    referral = services.send_referral(referral, by=physio)
    email = outbox().get()
    assert (email.recipient, email.language) == (referral.episode.patient.email, "fr")
    assert email.context["campus_phone"] == "03 880 90 11"
    assert referral.patient_emailed_at == NOW


def test_the_email_names_the_campus_and_its_phone_number(physio):
    from outbox.messages import render_email

    referral = make_referral(patient=PatientFactory(language="en", postcode="2880"))
    services.send_referral(referral, by=physio)
    subject, text, html = render_email(outbox().get())
    assert "campus Bornem" in subject
    assert "03 890 59 23" in text
    assert "03 890 59 23" in html


def test_a_patient_without_email_consent_gets_no_email(physio):
    referral = make_referral(patient=PatientFactory(email_consent=False, email_consent_at=None))
    referral = services.send_referral(referral, by=physio)
    assert not outbox().exists()
    assert referral.patient_emailed_at is None


def test_no_email_is_sent_before_a_campus_takes_the_referral(physio, coordinator_rumst):
    Campus.objects.update(accepting_referrals=False)
    referral = services.send_referral(make_referral(), by=physio)
    assert not outbox().exists()
    services.accept_referral(referral, by=coordinator_rumst)
    assert outbox().get().context["campus_name"] == "Rumst"


def test_a_redirect_tells_the_patient_the_new_campus(physio, coordinator_bornem):
    referral = services.send_referral(make_referral(postcode="2880"), by=physio)
    services.redirect_referral(
        referral, by=coordinator_bornem, campus=Campus.objects.get(code="rumst"), reason="full"
    )
    assert [e.context["campus_phone"] for e in outbox().order_by("pk")] == [
        "03 890 59 23",
        "03 880 90 11",
    ]
