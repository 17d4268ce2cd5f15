import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from clinics.models import Campus
from intake.models import Episode
from referrals import services
from referrals.models import CampusCapacityChange, Referral, ReferralState
from tests.factories import make_episode_in_treatment, make_referral

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


def sent(physio, postcode="2880", **patient):
    return services.send_referral(make_referral(postcode=postcode, **patient), by=physio)


def action_url(referral, action):
    return reverse("referrals:action", args=[referral.pk, action])


# --- coordinator dashboard ----------------------------------------------------------------


def test_the_dashboard_lists_the_campus_referrals_oldest_first(client, physio, coordinator_bornem):
    newer = sent(physio, last_name="Newer")
    older = sent(physio, last_name="Older")
    Referral.objects.filter(pk=older.pk).update(sent_at=NOW - dt.timedelta(days=9))
    client.force_login(coordinator_bornem)
    response = client.get(reverse("referrals:coordinator_home"))
    assert [r.pk for r in response.context["page"].object_list] == [older.pk, newer.pk]


def test_a_coordinator_sees_only_their_campus_and_not_proposals(client, physio, coordinator_rumst):
    sent(physio, postcode="2880")
    make_referral(postcode="2840")
    mine = sent(physio, postcode="2840")
    client.force_login(coordinator_rumst)
    response = client.get(reverse("referrals:coordinator_home"))
    assert [r.pk for r in response.context["page"].object_list] == [mine.pk]


def test_the_dashboard_filters_by_state(client, physio, coordinator_bornem):
    accepted = services.accept_referral(sent(physio), by=coordinator_bornem)
    sent(physio)
    client.force_login(coordinator_bornem)
    response = client.get(reverse("referrals:coordinator_home"), {"state": "accepted"})
    assert [r.pk for r in response.context["page"].object_list] == [accepted.pk]


def test_the_dashboard_shows_the_expected_wait(english, physio, coordinator_bornem):
    Campus.objects.filter(code="bornem").update(weekly_capacity=4)
    for _ in range(6):
        sent(physio)
    english.force_login(coordinator_bornem)
    response = english.get(reverse("referrals:coordinator_home"))
    assert response.context["wait"].expected_wait_weeks == 1.5
    assert "6 open ÷ 4 a week" in response.content.decode()


@pytest.mark.parametrize("rows", [2, 30])
def test_the_dashboard_runs_a_fixed_number_of_queries(
    client, physio, coordinator_bornem, django_assert_max_num_queries, rows
):
    for _ in range(rows):
        sent(physio)
    Campus.objects.update(accepting_referrals=False)
    for _ in range(rows):
        sent(physio)  # unassigned
    client.force_login(coordinator_bornem)
    client.get(reverse("referrals:coordinator_home"))  # warm the session
    with django_assert_max_num_queries(12):
        response = client.get(reverse("referrals:coordinator_home"))
    assert response.status_code == 200


def test_the_dashboard_paginates(client, physio, coordinator_bornem):
    for _ in range(settings.BACKPATH_PAGE_SIZE + 2):
        sent(physio)
    client.force_login(coordinator_bornem)
    response = client.get(reverse("referrals:coordinator_home"), {"page": 2})
    assert len(response.context["page"].object_list) == 2


def test_the_no_campus_queue_is_shown_with_an_alert_when_nothing_accepts(
    english, physio, coordinator_rumst
):
    Campus.objects.update(accepting_referrals=False)
    waiting = sent(physio, last_name="Waitsforcampus")
    english.force_login(coordinator_rumst)
    response = english.get(reverse("referrals:coordinator_home"))
    page = response.content.decode()
    assert "No campus is accepting referrals." in page
    assert [r.pk for r in response.context["unassigned"]] == [waiting.pk]
    assert "Take for my campus" in page


# --- actions: htmx and plain POST ---------------------------------------------------------


def test_accepting_with_htmx_returns_the_updated_row(english, physio, coordinator_bornem):
    referral = sent(physio)
    english.force_login(coordinator_bornem)
    response = english.post(action_url(referral, "accept"), **HTMX)
    assert response.status_code == 200
    assert f'id="referral-{referral.pk}"' in response.content.decode()
    assert "Referral accepted." in response.content.decode()
    referral.refresh_from_db()
    assert referral.state == ReferralState.ACCEPTED


def test_accepting_without_javascript_redirects_back(client, physio, coordinator_bornem):
    referral = sent(physio)
    client.force_login(coordinator_bornem)
    home = reverse("referrals:coordinator_home")
    response = client.post(action_url(referral, "accept"), {"next": home})
    assert response.status_code == 302
    assert response.url == home


def test_the_book_form_opens_inside_the_row_with_htmx(client, physio, coordinator_bornem):
    referral = services.accept_referral(sent(physio), by=coordinator_bornem)
    client.force_login(coordinator_bornem)
    url = reverse("referrals:action_form", args=[referral.pk, "book"])
    response = client.get(url, **HTMX)
    assert 'name="book-day"' in response.content.decode()


def test_without_htmx_the_book_form_link_opens_the_referral_page(
    client, physio, coordinator_bornem
):
    referral = services.accept_referral(sent(physio), by=coordinator_bornem)
    client.force_login(coordinator_bornem)
    response = client.get(reverse("referrals:action_form", args=[referral.pk, "book"]))
    assert response.url == reverse("referrals:detail", args=[referral.pk]) + "#book"


def test_booking_in_the_past_shows_the_error_beside_the_field_and_keeps_the_input(
    english, physio, coordinator_bornem
):
    referral = services.accept_referral(sent(physio), by=coordinator_bornem)
    english.force_login(coordinator_bornem)
    response = english.post(
        action_url(referral, "book"),
        {"book-day": "2026-02-27", "book-at": "10:00", "book-place": "Room 4"},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "The appointment must be in the future." in page
    assert 'value="Room 4"' in page
    referral.refresh_from_db()
    assert referral.state == ReferralState.ACCEPTED


def test_double_booking_through_the_page_is_refused_with_a_message(
    english, physio, coordinator_bornem
):
    first = services.accept_referral(sent(physio), by=coordinator_bornem)
    services.book_appointment(first, by=coordinator_bornem, day=dt.date(2026, 3, 4), at=dt.time(9))
    second = services.accept_referral(sent(physio), by=coordinator_bornem)
    english.force_login(coordinator_bornem)
    response = english.post(
        action_url(second, "book"),
        {"book-day": "2026-03-04", "book-at": "09:00"},
        follow=True,
    )
    assert "Bornem already has an appointment on 04/03/2026 at 09:00" in response.content.decode()


def test_an_illegal_action_is_refused_with_a_message_in_the_row(
    english, physio, coordinator_bornem
):
    referral = sent(physio)
    services.decline_referral(referral, by=coordinator_bornem, reason="not indicated")
    english.force_login(coordinator_bornem)
    response = english.post(action_url(referral, "accept"), **HTMX)
    assert "You cannot accept this referral: it is declined." in response.content.decode()


def test_a_coordinator_gets_404_for_a_referral_of_the_other_campus(
    client, physio, coordinator_rumst
):
    referral = sent(physio, postcode="2880")
    client.force_login(coordinator_rumst)
    assert client.get(reverse("referrals:detail", args=[referral.pk])).status_code == 404
    assert client.get(reverse("referrals:letter", args=[referral.pk])).status_code == 404


def test_acting_on_a_referral_of_the_other_campus_is_refused_with_403(
    english, physio, coordinator_rumst
):
    referral = sent(physio, postcode="2880")
    english.force_login(coordinator_rumst)
    response = english.post(action_url(referral, "accept"))
    assert response.status_code == 403
    assert "belongs to another campus" in response.content.decode()
    referral.refresh_from_db()
    assert referral.state == ReferralState.SENT


def test_a_physiotherapist_cannot_use_coordinator_actions(client, physio):
    referral = sent(physio)
    client.force_login(physio)
    assert client.post(action_url(referral, "accept")).status_code == 403


def test_a_coordinator_takes_an_unassigned_referral_from_the_dashboard(
    client, physio, coordinator_rumst
):
    Campus.objects.update(accepting_referrals=False)
    referral = sent(physio, postcode="2880")
    client.force_login(coordinator_rumst)
    client.post(action_url(referral, "accept"), **HTMX)
    referral.refresh_from_db()
    assert (referral.state, referral.campus.code) == (ReferralState.ACCEPTED, "rumst")


def test_the_referral_page_shows_the_history_with_who_did_what(english, physio, coordinator_bornem):
    referral = services.accept_referral(sent(physio), by=coordinator_bornem)
    english.force_login(coordinator_bornem)
    page = english.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert coordinator_bornem.get_full_name() in page
    assert physio.get_full_name() in page
    assert "system (six-week follow-up)" in page


def test_a_redirect_through_the_page_moves_it_to_the_other_campus(
    client, physio, coordinator_bornem
):
    referral = sent(physio)
    rumst = Campus.objects.get(code="rumst")
    client.force_login(coordinator_bornem)
    client.post(
        action_url(referral, "redirect"),
        {"redirect-campus": rumst.pk, "redirect-reason": "closer to home"},
    )
    referral.refresh_from_db()
    assert (referral.campus, referral.state) == (rumst, ReferralState.SENT)


def test_a_coordinator_cancels_through_the_page_with_the_reason(
    english, physio, coordinator_bornem
):
    referral = services.accept_referral(sent(physio), by=coordinator_bornem)
    english.force_login(coordinator_bornem)
    response = english.post(
        action_url(referral, "cancel"), {"cancel-reason": "patient chose another clinic"}
    )
    assert response.status_code == 302
    assert response.url == reverse("referrals:detail", args=[referral.pk])
    referral.refresh_from_db()
    assert (referral.state, referral.end_reason) == (
        ReferralState.CANCELLED,
        "patient chose another clinic",
    )
    page = english.get(response.url).content.decode()
    assert "Referral cancelled." in page
    assert "patient chose another clinic" in page


def test_cancelling_without_a_reason_shows_the_error_beside_the_field(
    english, physio, coordinator_bornem
):
    referral = services.accept_referral(sent(physio), by=coordinator_bornem)
    english.force_login(coordinator_bornem)
    response = english.post(action_url(referral, "cancel"), {"cancel-reason": ""})
    assert response.status_code == 400
    form = dict(response.context["action_forms"])["cancel"]
    assert form.errors == {"reason": ["This field is required."]}
    referral.refresh_from_db()
    assert referral.state == ReferralState.ACCEPTED


# --- physiotherapists ---------------------------------------------------------------------


def test_physiotherapists_see_the_proposals_to_approve(client, physio):
    proposal = make_referral()
    sent(physio)
    client.force_login(physio)
    response = client.get(reverse("referrals:proposals"))
    assert [r.pk for r in response.context["page"].object_list] == [proposal.pk]


@pytest.mark.parametrize("rows", [2, 30])
def test_the_proposals_page_runs_a_fixed_number_of_queries(
    client, physio, django_assert_max_num_queries, rows
):
    for _ in range(rows):
        make_referral()
    client.force_login(physio)
    client.get(reverse("referrals:proposals"))
    with django_assert_max_num_queries(12):  # 11 + the list read (one bulk insert)
        client.get(reverse("referrals:proposals"))


def test_a_physiotherapist_approves_and_sends_a_proposal_with_htmx(english, physio):
    proposal = make_referral()
    english.force_login(physio)
    response = english.post(action_url(proposal, "send"), {"row": "proposal"}, **HTMX)
    assert "Referral approved and sent." in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.state == ReferralState.SENT


def test_changing_the_campus_on_sending_needs_a_reason_beside_the_field(english, physio):
    proposal = make_referral(postcode="2880")
    rumst = Campus.objects.get(code="rumst")
    english.force_login(physio)
    response = english.post(action_url(proposal, "send"), {"send-campus": rumst.pk})
    assert response.status_code == 400
    assert "Give a reason for sending it to another campus." in response.content.decode()


def test_a_physiotherapist_proposes_a_referral_from_the_episode(client, physio):
    episode = make_episode_in_treatment(physio)
    client.force_login(physio)
    url = reverse("referrals:for_episode", args=[episode.pk])
    response = client.post(url, {"reason": "No progress after 8 sessions"})
    referral = episode.referrals.get()
    assert response.url == reverse("referrals:detail", args=[referral.pk])
    assert (referral.source, referral.created_by) == ("physio", physio)


def test_the_episode_link_opens_its_active_referral(client, physio):
    episode = make_episode_in_treatment(physio)
    referral = services.propose_referral(episode, source="physio", reason="No progress", by=physio)
    client.force_login(physio)
    response = client.get(reverse("referrals:for_episode", args=[referral.episode_id]))
    assert response.url == reverse("referrals:detail", args=[referral.pk])


def treated_by(physio, referral):  # type: ignore[no-untyped-def]
    """The referral's episode becomes the physiotherapist's: theirs to open."""
    Episode.objects.filter(pk=referral.episode_id).update(physio=physio, state="in_treatment")
    return referral


def test_the_letter_downloads_as_pdf(client, physio):
    referral = treated_by(physio, sent(physio))
    client.force_login(physio)
    response = client.get(reverse("referrals:letter", args=[referral.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert 'filename="referral-' in response["Content-Disposition"]


def test_each_letter_version_stays_downloadable(client, physio):
    referral = treated_by(physio, sent(physio))
    client.force_login(physio)
    response = client.get(reverse("referrals:letter_version", args=[referral.pk, 1]))
    assert response.content == bytes(referral.letters.get(version=1).pdf)


# --- capacity -----------------------------------------------------------------------------


def test_a_manager_changes_capacity_and_the_change_is_logged(client, manager):
    bornem = Campus.objects.get(code="bornem")
    client.force_login(manager)
    response = client.post(
        reverse("referrals:capacity"),
        {"campus": bornem.pk, f"c{bornem.pk}-weekly_capacity": "6"},
    )
    assert response.status_code == 302
    bornem.refresh_from_db()
    assert (bornem.weekly_capacity, bornem.accepting_referrals) == (6, False)
    change = CampusCapacityChange.objects.get()
    assert (change.changed_by, change.old_weekly_capacity, change.new_accepting) == (
        manager,
        10,
        False,
    )


def test_the_capacity_page_shows_who_changed_what(english, manager):
    bornem = Campus.objects.get(code="bornem")
    services.update_campus_capacity(bornem, weekly_capacity=7, accepting=True, by=manager)
    english.force_login(manager)
    page = english.get(reverse("referrals:capacity")).content.decode()
    assert "10 → 7" in page
    assert manager.get_full_name() in page


def test_a_negative_capacity_is_refused_beside_the_field(client, manager):
    bornem = Campus.objects.get(code="bornem")
    client.force_login(manager)
    response = client.post(
        reverse("referrals:capacity"),
        {"campus": bornem.pk, f"c{bornem.pk}-weekly_capacity": "-1"},
    )
    assert response.status_code == 400
    assert not CampusCapacityChange.objects.exists()


def test_coordinators_cannot_change_capacity(client, coordinator_bornem):
    client.force_login(coordinator_bornem)
    assert client.get(reverse("referrals:capacity")).status_code == 403


def test_an_admin_change_in_django_admin_is_logged_too(client, admin_user):
    bornem = Campus.objects.get(code="bornem")
    client.force_login(admin_user)
    url = reverse("admin:clinics_campus_change", args=[bornem.pk])
    page = client.get(url)
    data = {
        key: value
        for key, value in page.context["adminform"].form.initial.items()
        if value is not None
    }
    data.update(
        {
            "clinic": bornem.clinic_id,
            "weekly_capacity": 2,
            "accepting_referrals": "on",
            "catchment-TOTAL_FORMS": "0",
            "catchment-INITIAL_FORMS": "0",
            "appointment_slots-TOTAL_FORMS": "0",
            "appointment_slots-INITIAL_FORMS": "0",
        }
    )
    client.post(url, data)
    change = CampusCapacityChange.objects.get()
    assert (change.changed_by, change.new_weekly_capacity) == (admin_user, 2)


def test_a_coordinator_acting_on_a_proposal_is_told_it_was_not_sent_yet(
    english, coordinator_bornem
):
    proposal = make_referral(postcode="2880")
    english.force_login(coordinator_bornem)
    response = english.post(action_url(proposal, "accept"))
    assert response.status_code == 403
    assert "has not been sent yet" in response.content.decode()
