from datetime import date, timedelta

import pytest

from demo.followups import follow_up_answers
from followups.models import AnswerChannel, FollowUp, FollowUpState, Outcome
from followups.schedule import local_at
from followups.services import follow_up_reference, run_sweep
from intake.models import Alert, AlertKind
from outbox.models import OutboundEmail
from outbox.sealing import unseal_context
from tests.factories import make_follow_up

pytestmark = pytest.mark.django_db

DUE = local_at(date(2026, 12, 1))


def invite(**patient_fields):  # type: ignore[no-untyped-def]
    """A follow-up invited at DUE; returns it with the path of its questionnaire link."""
    follow_up = make_follow_up(intake_date=date(2026, 10, 20), **patient_fields)
    run_sweep(DUE)
    email = OutboundEmail.objects.get(reference=follow_up_reference(follow_up))
    url = unseal_context(email.context)["questionnaire_url"]
    return FollowUp.objects.get(pk=follow_up.pk), url.removeprefix("http://127.0.0.1:8000")


def as_post(answers):  # type: ignore[no-untyped-def]
    """The form fields for a section-4 answers document, STarT Back "disagree"."""
    from intake.forms import START_BACK_LABELS

    data = {key: value for key, value in answers.items() if key != "odi"}
    data.update({key: "0" for key in START_BACK_LABELS}, bothersomeness="slightly")
    for index, score in enumerate(answers.get("odi") or []):
        from intake.scores import ODI_SECTIONS

        data[f"odi_{ODI_SECTIONS[index]}"] = "" if score is None else score
    return data


@pytest.fixture
def on_day_two(time_machine):  # type: ignore[no-untyped-def]
    time_machine.move_to(DUE + timedelta(days=1, hours=3), tick=False)


def test_the_link_opens_the_questionnaire_in_the_patients_language(client, on_day_two):
    _follow_up, path = invite(language="fr")
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "fr"
    assert '<html lang="fr">' in response.content.decode()
    assert response.headers["Cache-Control"].startswith("max-age=0")


def test_the_questionnaire_page_lets_the_browser_pass_the_csrf_origin_check(client, on_day_two):
    # With a no-referrer policy browsers send "Origin: null" on POST, which Django's
    # CSRF check refuses: the patient could never send their answers.
    _follow_up, path = invite()
    page = client.get(path).content.decode()
    assert 'content="no-referrer"' not in page
    assert client.get(path).headers.get("Referrer-Policy", "same-origin") != "no-referrer"


def test_the_questionnaire_shows_nothing_about_the_patient(client, on_day_two):
    follow_up, path = invite(language="en", first_name="Wendelien", last_name="Zeegers")
    page = client.get(path).content.decode()
    assert "How is your back now?" in page
    assert "Wendelien" not in page
    assert "Zeegers" not in page


def test_a_tampered_link_is_a_plain_404_that_reveals_nothing(client, on_day_two):
    _follow_up, path = invite(language="en", first_name="Wendelien")
    tampered = path[:-3] + ("A" if path[-3] != "A" else "B") + path[-2:]
    response = client.get(tampered)
    assert response.status_code == 404
    page = response.content.decode()
    assert "Wendelien" not in page
    assert "Pijnkliniek" not in page


def test_an_expired_link_shows_a_friendly_page_with_the_clinic_phone(client, time_machine):
    follow_up, path = invite(language="en")
    time_machine.move_to(follow_up.link_expires_at, tick=False)
    response = client.get(path)
    assert response.status_code == 410
    page = response.content.decode()
    assert "This link has expired" in page
    assert "03 890 59 23" in page


@pytest.mark.parametrize(
    ("answers", "outcome"),
    [
        (
            follow_up_answers(still_back_pain=False, pain_now=0, global_change="much_better"),
            "recovered",
        ),
        (follow_up_answers(pain_now=3, global_change="better"), "improving"),
        (follow_up_answers(pain_now=6, global_change="same"), "persistent"),
        (follow_up_answers(fever=True), "red_flag"),
    ],
)
def test_answers_are_stored_with_their_outcome_scores_and_rule_version(
    client, on_day_two, answers, outcome
):
    follow_up, path = invite()
    response = client.post(path, as_post(answers))
    assert response.status_code == 200
    follow_up.refresh_from_db()
    assert follow_up.state == FollowUpState.ANSWERED
    assert follow_up.answered_via == AnswerChannel.LINK
    assert follow_up.outcome == outcome
    assert follow_up.pain_now == answers["pain_now"]
    assert follow_up.rule_version == "2027.1"
    assert follow_up.outcome_reasons
    assert follow_up.course in ("recovered", "improving", "persistent")
    assert follow_up.start_back_risk == "low"
    patient = follow_up.episode.patient
    assert follow_up.outcome_context["age"] == patient.age_on(date(2026, 12, 2))


def test_the_oswestry_answers_give_a_stored_score(client, on_day_two):
    follow_up, path = invite()
    answers = follow_up_answers(pain_now=3, odi=[2, 1, 2, 1, 2, 1, 1, 0, 1, None])
    client.post(path, as_post(answers))
    follow_up.refresh_from_db()
    assert str(follow_up.odi_percent) == "24.4"


def test_a_red_flag_raises_a_staff_alert_and_shows_emergency_advice(client, on_day_two):
    follow_up, path = invite(language="en")
    response = client.post(path, as_post(follow_up_answers(saddle_numbness=True)))
    page = response.content.decode()
    assert "Go to the emergency department now" in page
    assert "numbness around your buttocks, anus or genitals" in page
    alert = Alert.objects.get(kind=AlertKind.FOLLOW_UP)
    assert (alert.episode, alert.disposition, alert.reasons) == (
        follow_up.episode,
        "EMERGENCY",
        ["E-SADDLE"],
    )


def test_recovered_proposes_the_episode_for_closing(client, on_day_two):
    follow_up, path = invite()
    client.post(path, as_post(follow_up_answers(still_back_pain=False, pain_now=0)))
    assert list(FollowUp.objects.proposed_for_closing()) == [FollowUp.objects.get(pk=follow_up.pk)]


def test_improving_schedules_a_second_follow_up_42_days_after_the_answer(client, on_day_two):
    follow_up, path = invite()
    client.post(path, as_post(follow_up_answers(pain_now=3, global_change="better")))
    second = FollowUp.objects.get(episode=follow_up.episode, number=2)
    assert second.state == FollowUpState.SCHEDULED
    # Rules 2027.1: 42 days after the first was answered (on day two), not after it was due.
    assert second.due_at == local_at(date(2026, 12, 2) + timedelta(days=42))


def test_persistent_proposes_a_pain_clinic_referral(client, on_day_two):
    follow_up, path = invite()
    client.post(path, as_post(follow_up_answers(pain_now=7, global_change="worse")))
    referral = follow_up.episode.referrals.get()
    assert referral.source == "follow_up"
    assert "WORSE" in referral.reason


def test_the_link_works_once(client, on_day_two):
    follow_up, path = invite(language="en")
    client.post(path, as_post(follow_up_answers()))
    again = client.post(path, as_post(follow_up_answers(fever=True)))
    assert again.status_code == 410
    assert "You have already answered these questions" in again.content.decode()
    assert "03 890 59 23" in again.content.decode()
    follow_up.refresh_from_db()
    assert follow_up.outcome == Outcome.IMPROVING
    assert not Alert.objects.filter(kind=AlertKind.FOLLOW_UP).exists()


def test_a_reminders_link_and_the_invitations_link_both_open_the_same_questionnaire(
    client, time_machine
):
    follow_up, first_path = invite()
    time_machine.move_to(DUE + timedelta(days=3), tick=False)
    run_sweep()
    reminder = OutboundEmail.objects.get(idempotency_key=f"followup-{follow_up.pk}-reminder-1")
    second_path = unseal_context(reminder.context)["questionnaire_url"].removeprefix(
        "http://127.0.0.1:8000"
    )
    assert client.get(first_path).status_code == 200
    assert client.post(second_path, as_post(follow_up_answers())).status_code == 200
    assert client.get(first_path).status_code == 410


def test_missing_answers_are_shown_next_to_their_field_and_nothing_is_saved(client, on_day_two):
    follow_up, path = invite(language="en")
    data = as_post(follow_up_answers(pain_now=6))
    del data["fever"]
    response = client.post(path, data)
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"fever"}
    assert form["pain_now"].value() == "6"
    follow_up.refresh_from_db()
    assert follow_up.state == FollowUpState.INVITED


def test_too_few_oswestry_answers_are_refused(client, on_day_two):
    follow_up, path = invite(language="en")
    data = as_post(follow_up_answers(odi=[1, 1, 1, None, None, None, None, None, None, None]))
    response = client.post(path, data)
    assert response.status_code == 400
    assert "at least 8" in response.content.decode()


def test_a_link_opens_only_its_own_follow_up(client, on_day_two):
    mine, my_path = invite()
    other = make_follow_up(intake_date=date(2026, 10, 20))
    run_sweep(DUE + timedelta(minutes=1))
    client.post(my_path, as_post(follow_up_answers()))
    other.refresh_from_db()
    assert other.state == FollowUpState.INVITED
    assert FollowUp.objects.get(pk=mine.pk).state == FollowUpState.ANSWERED
