from datetime import date, timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from demo.followups import follow_up_answers
from followups.models import AnswerChannel, CallResult, FollowUp, FollowUpState, Outcome
from followups.schedule import local_at
from followups.services import operational_figures, run_sweep
from intake.models import Alert, AlertKind, Episode
from outbox.models import EmailState, OutboundEmail
from pathway.services import answer_follow_up
from tests.factories import make_follow_up
from tests.test_followup_questionnaire import as_post

pytestmark = pytest.mark.django_db

DUE = local_at(date(2026, 12, 1))
INTAKE = date(2026, 10, 20)


def on_call_list(count: int = 1, **patient_fields):  # type: ignore[no-untyped-def]
    patient_fields.setdefault("email", "")
    follow_ups = [make_follow_up(intake_date=INTAKE, **patient_fields) for _ in range(count)]
    run_sweep(DUE)
    return [FollowUp.objects.get(pk=f.pk) for f in follow_ups]


def test_the_call_list_shows_who_to_phone_why_and_their_number(desk):
    on_call_list(first_name="Rania", last_name="El Amrani", phone="+32470998877")
    page = desk.get(reverse("followups:call_list")).content.decode()
    assert "Rania El Amrani" in page
    assert "+32470998877" in page
    assert "no e-mail address" in page


def test_non_responders_are_on_the_call_list_with_their_reason(desk):
    follow_up = make_follow_up(intake_date=INTAKE, first_name="Dirk")
    for day in (0, 3, 7, 14):
        run_sweep(DUE + timedelta(days=day))
    page = desk.get(reverse("followups:call_list")).content.decode()
    assert FollowUp.objects.get(pk=follow_up.pk).state == FollowUpState.EXPIRED
    assert "no answer to the e-mail and two reminders" in page


def test_the_call_list_runs_a_fixed_number_of_queries(desk, django_assert_max_num_queries):
    on_call_list(2)
    OutboundEmail.objects.create(
        recipient="x@example.org",
        language="nl",
        template="followup_invitation",
        idempotency_key="failed-1",
        state=EmailState.FAILED,
    )
    with CaptureQueriesContext(connection) as few:
        assert desk.get(reverse("followups:call_list")).status_code == 200
    on_call_list(30)
    for number in range(25):
        OutboundEmail.objects.create(
            recipient=f"x{number}@example.org",
            language="nl",
            template="followup_invitation",
            idempotency_key=f"failed-more-{number}",
            state=EmailState.FAILED,
        )
    with django_assert_max_num_queries(len(few.captured_queries) + 1):
        response = desk.get(reverse("followups:call_list"))
    assert len(response.context["page"].object_list) == settings.BACKPATH_PAGE_SIZE


def test_declined_with_the_reason_takes_the_patient_off_the_call_list(desk, receptionist):
    (follow_up,) = on_call_list()
    desk.post(
        reverse("followups:record_call", args=[follow_up.pk]),
        {"result": CallResult.DECLINED, "note": "Doing well, no time"},
    )
    follow_up.refresh_from_db()
    assert follow_up.state == FollowUpState.DONE
    assert (follow_up.closed_by, follow_up.call_note) == (receptionist, "Doing well, no time")
    assert not FollowUp.objects.call_list().exists()


def test_declined_without_a_reason_is_refused(desk):
    (follow_up,) = on_call_list()
    response = desk.post(
        reverse("followups:record_call", args=[follow_up.pk]),
        {"result": CallResult.DECLINED, "note": ""},
        follow=True,
    )
    assert "Write down why the patient declined." in response.content.decode()
    follow_up.refresh_from_db()
    assert (follow_up.state, follow_up.call_attempts) == (FollowUpState.CALL_LIST, 0)


def test_reached_without_answers_is_not_offered(desk):
    (follow_up,) = on_call_list()
    page = desk.get(reverse("followups:call_list")).content.decode()
    assert f'value="{CallResult.REACHED}"' not in page
    desk.post(reverse("followups:record_call", args=[follow_up.pk]), {"result": CallResult.REACHED})
    follow_up.refresh_from_db()
    assert follow_up.call_attempts == 0


def test_not_reached_three_times_closes_the_follow_up_as_lost(desk):
    (follow_up,) = on_call_list(language="en")
    url = reverse("followups:record_call", args=[follow_up.pk])
    for tries in (1, 2):
        desk.post(url, {"result": CallResult.NOT_REACHED})
        follow_up.refresh_from_db()
        assert (follow_up.state, follow_up.call_attempts) == (FollowUpState.CALL_LIST, tries)
    desk.post(url, {"result": CallResult.NOT_REACHED})
    follow_up.refresh_from_db()
    assert follow_up.state == FollowUpState.LOST
    assert follow_up.last_call_result == CallResult.NOT_REACHED
    assert Alert.objects.filter(kind=AlertKind.LOST, episode=follow_up.episode).exists()
    # No e-mail address: the printable letter carries both campus numbers.
    letter = desk.get(reverse("followups:lost_letter", args=[follow_up.episode_id]))
    page = letter.content.decode()
    assert "03 890 59 23" in page and "03 880 90 11" in page
    assert "Contact your GP" in page


def test_answers_by_phone_go_through_the_same_classification(desk, receptionist):
    (follow_up,) = on_call_list(language="en")
    response = desk.post(
        reverse("followups:phone_answers", args=[follow_up.pk]),
        as_post(follow_up_answers(bladder_bowel=True)),
        follow=True,
    )
    follow_up.refresh_from_db()
    assert follow_up.state == FollowUpState.ANSWERED
    assert (follow_up.answered_via, follow_up.answered_by) == (AnswerChannel.PHONE, receptionist)
    assert follow_up.outcome == Outcome.RED_FLAG
    assert Alert.objects.filter(kind=AlertKind.FOLLOW_UP, episode=follow_up.episode).exists()
    page = response.content.decode()
    assert "Go to the emergency department now" in page
    assert "E-BLADDER" in page


def test_a_persistent_answer_by_phone_proposes_a_referral(desk):
    (follow_up,) = on_call_list()
    desk.post(
        reverse("followups:phone_answers", args=[follow_up.pk]),
        as_post(follow_up_answers(pain_now=8, global_change="same")),
    )
    assert follow_up.episode.referrals.filter(source="follow_up").exists()


def test_a_follow_up_already_answered_takes_no_answers_by_phone(desk):
    (follow_up,) = on_call_list()
    answer_follow_up(follow_up, follow_up_answers(), channel=AnswerChannel.PHONE)
    response = desk.post(
        reverse("followups:phone_answers", args=[follow_up.pk]),
        as_post(follow_up_answers(fever=True)),
    )
    assert response.status_code == 302
    assert FollowUp.objects.get(pk=follow_up.pk).outcome == Outcome.IMPROVING


def test_invalid_phone_answers_keep_what_was_typed(desk):
    (follow_up,) = on_call_list()
    data = as_post(follow_up_answers(pain_now=7))
    del data["global_change"]
    response = desk.post(reverse("followups:phone_answers", args=[follow_up.pk]), data)
    assert response.status_code == 400
    assert response.context["form"]["pain_now"].value() == "7"
    assert FollowUp.objects.get(pk=follow_up.pk).state == FollowUpState.CALL_LIST


@pytest.mark.parametrize("url_name", ["followups:call_list", "followups:overview"])
def test_a_physiotherapist_may_not_open_reception_pages(client, physio, url_name):
    client.force_login(physio)
    assert client.get(reverse(url_name)).status_code == 403


def test_anonymous_users_are_sent_to_login(client):
    response = client.get(reverse("followups:call_list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_physiotherapist_can_read_an_answered_follow_ups_result(client, physio):
    (follow_up,) = on_call_list()
    Episode.objects.filter(pk=follow_up.episode_id).update(physio=physio)  # their patient
    answer_follow_up(follow_up, follow_up_answers(pain_now=6), channel=AnswerChannel.PHONE)
    client.force_login(physio)
    client.cookies["django_language"] = "en"
    response = client.get(reverse("followups:result", args=[follow_up.pk]))
    assert response.status_code == 200
    assert "persistent" in response.content.decode()


def test_the_figures_count_this_weeks_follow_ups_and_the_response_rate(time_machine):
    answered, _silent = (make_follow_up(intake_date=INTAKE) for _ in range(2))
    make_follow_up(intake_date=INTAKE, email="")
    make_follow_up(intake_date=INTAKE + timedelta(days=7))  # due next week
    run_sweep(DUE)
    answer_follow_up(answered, follow_up_answers(), channel=AnswerChannel.LINK, now=DUE)
    figures = operational_figures(DUE + timedelta(hours=1))
    assert figures.due_this_week == 3
    assert figures.invited_this_week == 2
    assert (figures.invited_in_window, figures.answered_by_link) == (2, 1)
    assert figures.response_rate == 0.5
    assert figures.on_call_list == 1
    assert figures.mail_pending == 2


def test_the_overview_shows_the_figures_in_a_fixed_number_of_queries(
    client, manager, time_machine, django_assert_max_num_queries
):
    time_machine.move_to(DUE + timedelta(hours=1), tick=False)
    client.force_login(manager)
    client.cookies["django_language"] = "en"
    make_follow_up(intake_date=INTAKE)
    run_sweep(DUE)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("followups:overview"))
    for _ in range(30):
        make_follow_up(intake_date=INTAKE)
    run_sweep(DUE)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("followups:overview"))
    page = response.content.decode()
    assert "invitations sent this week" in page
    assert response.context["figures"].due_this_week == 31
    assert "Handled" not in page, "managers see failures but reception handles them"
