"""The physiotherapist's home page: my episodes, the queue, the alerts."""

from datetime import date, timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from intake.models import Alert, AlertKind, Disposition
from referrals.models import Referral
from tests.factories import make_episode_in_treatment, make_intake, make_plan
from treatment import services

pytestmark = pytest.mark.django_db

TODAY = date(2026, 5, 4)


@pytest.fixture(autouse=True)
def _today():  # type: ignore[no-untyped-def]
    with time_machine.travel(date(2026, 5, 4), tick=False):
        yield


def _my_rows(response):  # type: ignore[no-untyped-def]
    return list(response.context["episodes"])


def test_it_lists_my_episodes_with_weeks_since_intake_and_latest_pain(physio_client, physio):
    episode = make_episode_in_treatment(physio, intake_date=TODAY - timedelta(days=15), pain_now=7)
    services.record_session(
        episode, by=physio, session_date=TODAY - timedelta(days=2), pain_now=4, work_done="x"
    )

    (row,) = _my_rows(physio_client.get(reverse("treatment:caseload")))

    assert row.pk == episode.pk
    assert (row.weeks_since_intake, row.latest_pain, row.session_count) == (2, 4, 1)


def test_before_any_session_the_latest_pain_is_the_intake_pain(physio_client, physio):
    make_episode_in_treatment(physio, pain_now=6)

    (row,) = _my_rows(physio_client.get(reverse("treatment:caseload")))

    assert row.latest_pain == 6


def test_it_does_not_list_a_colleagues_episodes(physio_client, second_physio):
    make_episode_in_treatment(second_physio)

    assert _my_rows(physio_client.get(reverse("treatment:caseload"))) == []


def test_the_next_session_comes_first(physio_client, physio):
    later = make_episode_in_treatment(physio)
    sooner = make_episode_in_treatment(physio)
    make_plan(later, physio, next_session_on=TODAY + timedelta(days=5))
    make_plan(sooner, physio, next_session_on=TODAY + timedelta(days=1))

    rows = _my_rows(physio_client.get(reverse("treatment:caseload")))

    assert [r.pk for r in rows] == [sooner.pk, later.pk]


def test_it_shows_the_unassigned_physio_queue_but_not_urgent_episodes(physio_client):
    waiting = make_intake().episode
    make_intake(fever=True)

    response = physio_client.get(reverse("treatment:caseload"))

    assert [e.pk for e in response.context["queue"]] == [waiting.pk]
    assert "Take this patient" in response.content.decode()


def test_it_flags_an_open_red_flag_alert_from_a_follow_up(physio_client, physio):
    episode = make_episode_in_treatment(physio)
    Alert.objects.create(
        episode=episode, kind=AlertKind.FOLLOW_UP, disposition=Disposition.EMERGENCY
    )

    (row,) = _my_rows(physio_client.get(reverse("treatment:caseload")))

    assert row.has_red_flag_alert
    assert (
        "red flag at follow-up" in physio_client.get(reverse("treatment:caseload")).content.decode()
    )


def test_it_flags_a_pending_referral(physio_client, physio):
    episode = make_episode_in_treatment(physio)
    Referral.objects.create(episode=episode, source="physio", reason="persistent pain")

    (row,) = _my_rows(physio_client.get(reverse("treatment:caseload")))

    assert row.pending_referral_state == "proposed"


def test_it_lists_the_open_alerts_of_my_episodes_not_the_desks_emergencies(physio_client, physio):
    make_intake(fever=True)  # an emergency patient: reception's alert list
    mine = make_episode_in_treatment(physio)
    Alert.objects.create(episode=mine, kind=AlertKind.FOLLOW_UP, disposition=Disposition.GP_URGENT)

    response = physio_client.get(reverse("treatment:caseload"))

    assert [a.episode_id for a in response.context["alerts"]] == [mine.pk]


def _fill(physio, count):  # type: ignore[no-untyped-def]
    for i in range(count):
        episode = make_episode_in_treatment(physio, intake_date=TODAY - timedelta(days=i))
        make_plan(episode, physio, exercises=["knee-to-chest"])
        services.record_session(episode, by=physio, session_date=TODAY, pain_now=3, work_done="x")
        Alert.objects.create(
            episode=episode, kind=AlertKind.FOLLOW_UP, disposition=Disposition.GP_URGENT
        )
        Referral.objects.create(episode=episode, source="physio", reason="persistent pain")
        make_intake(intake_date=TODAY - timedelta(days=i))


@pytest.mark.parametrize("count", [2, 20])
def test_the_caseload_runs_the_same_number_of_queries_whatever_its_size(
    physio_client, physio, django_assert_max_num_queries, count
):
    _fill(physio, count)

    with django_assert_max_num_queries(12):  # the staff pages' budget (issue 18)
        response = physio_client.get(reverse("treatment:caseload"))

    shown = min(count, settings.BACKPATH_PAGE_SIZE)
    assert len(response.context["episodes"]) == shown
    assert len(response.context["queue"]) == shown
    assert response.context["episodes"].paginator.count == count


def test_the_caseload_query_count_does_not_grow_from_2_to_20(physio_client, physio):
    _fill(physio, 2)
    with CaptureQueriesContext(connection) as small:
        physio_client.get(reverse("treatment:caseload"))
    _fill(physio, 18)
    with CaptureQueriesContext(connection) as large:
        physio_client.get(reverse("treatment:caseload"))

    assert len(large.captured_queries) == len(small.captured_queries)


def test_it_flags_a_follow_up_that_proposes_closing(physio_client, physio):
    from followups.models import FollowUp

    episode = make_episode_in_treatment(physio)
    FollowUp.objects.filter(episode=episode).update(
        state="answered", answered_at=timezone.now(), outcome="recovered", pain_now=1
    )

    (row,) = _my_rows(physio_client.get(reverse("treatment:caseload")))

    assert row.follow_up_proposes_closing
