"""Patient pages speak for the patient's practice, or for the pain-clinic campus of their
referral, with that place's phone number; a language switcher keeps the link's token."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from clinics.models import Campus, Practice
from followups.schedule import local_at
from followups.services import follow_up_reference, run_sweep
from intake import services as intake_services
from outbox.models import OutboundEmail
from outbox.sealing import unseal_context
from pathway.queries import branding_for
from referrals.services import send_referral
from tests.factories import PatientFactory, make_follow_up, make_referral

pytestmark = pytest.mark.django_db

DUE = local_at(date(2026, 12, 1))


@pytest.fixture
def practices():  # type: ignore[no-untyped-def]
    return (
        Practice.objects.create(name="Kinepraktijk De Schelde", phone="03 899 12 34"),
        Practice.objects.create(name="Kinepraktijk Rupel", phone="03 844 56 78"),
    )


def questionnaire_path(follow_up) -> str:  # type: ignore[no-untyped-def]
    run_sweep(DUE)
    email = OutboundEmail.objects.get(reference=follow_up_reference(follow_up))
    url = unseal_context(email.context)["questionnaire_url"]
    return str(url).removeprefix("http://127.0.0.1:8000")


@pytest.fixture
def on_day_two(time_machine):  # type: ignore[no-untyped-def]
    time_machine.move_to(DUE + timedelta(days=1, hours=3), tick=False)


def test_a_physio_patient_sees_their_own_practice_and_its_number(client, practices, on_day_two):
    rupel = practices[1]
    follow_up = make_follow_up(intake_date=date(2026, 10, 20), practice=rupel)
    page = client.get(questionnaire_path(follow_up)).content.decode()
    assert "Kinepraktijk Rupel" in page
    assert "03 844 56 78" in page
    assert "03 890 59 23" not in page  # not the Bornem campus's number


def test_a_patient_referred_to_rumst_sees_rumst_and_its_number(client, practices, on_day_two):
    referral = make_referral(postcode="2840")  # Rumst's catchment
    send_referral(referral, by=None)
    assert referral.campus.code == "rumst"
    follow_up = make_follow_up(referral.episode.patient, intake_date=date(2026, 10, 20))
    # The questionnaire of the referred episode, not the new one, speaks for the campus.
    branding = branding_for(referral.episode.patient, referral.episode)
    assert branding.name.endswith("Rumst")
    assert branding.phone == Campus.objects.get(code="rumst").phone == "03 880 90 11"
    assert branding_for(follow_up.episode.patient, follow_up.episode).name == practices[0].name


def test_a_proposal_not_yet_sent_is_still_the_practices_business(practices):
    referral = make_referral(postcode="2840")
    assert branding_for(referral.episode.patient, referral.episode).phone == "03 899 12 34"


def test_the_questionnaire_speaks_the_language_the_patient_picks_and_keeps_the_token(
    client, practices, on_day_two
):
    follow_up = make_follow_up(intake_date=date(2026, 10, 20), language="nl")
    path = questionnaire_path(follow_up)
    page = client.get(path).content.decode()
    assert '<html lang="nl">' in page
    assert f'href="{path}?lang=fr"' in page  # the switcher keeps the link
    response = client.get(path + "?lang=fr")
    assert response.headers["Content-Language"] == "fr"
    assert '<html lang="fr">' in response.content.decode()
    assert client.get(path + "?lang=xx").headers["Content-Language"] == "nl"


def test_the_self_intake_has_the_switcher_and_the_practice(client, practices, receptionist):
    patient = PatientFactory(language="fr", practice=practices[1])
    _link, token = intake_services.create_intake_link(patient, by=receptionist)
    path = reverse("intake_public:self_intake", args=[token])
    page = client.get(path).content.decode()
    assert '<html lang="fr">' in page
    assert "03 844 56 78" in page
    assert f'href="{path}?lang=nl"' in page
    assert '<html lang="en">' in client.get(path + "?lang=en").content.decode()


def test_without_any_practice_the_header_names_the_clinic(client, on_day_two):
    follow_up = make_follow_up(intake_date=date(2026, 10, 20))
    assert branding_for(follow_up.episode.patient).name == "Pijnkliniek"


def test_a_new_patient_gets_the_first_practice_unless_reception_chooses(practices, receptionist):
    from intake.forms import PatientForm

    form = PatientForm()
    assert form.fields["practice"].required
    assert form.fields["practice"].initial == practices[0]
