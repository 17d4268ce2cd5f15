import datetime as dt

import pytest
import time_machine
from django.utils import timezone, translation

from clinics.models import Campus
from referrals import services
from referrals.models import Referral, ReferralState
from tests.factories import PatientFactory, make_intake, make_referral

pytestmark = pytest.mark.django_db

# A Monday morning in Brussels; appointments are booked after it.
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
TOMORROW = dt.date(2026, 3, 3)


@pytest.fixture(autouse=True)
def _frozen_clock_in_english():
    with time_machine.travel(NOW, tick=False), translation.override("en"):
        yield


def stop_accepting(*codes):
    Campus.objects.filter(code__in=codes).update(accepting_referrals=False)


def accepted(referral, physio, coordinator):
    referral = services.send_referral(referral, by=physio)
    return services.accept_referral(referral, by=coordinator)


def booked(referral, physio, coordinator, day=TOMORROW, at=dt.time(10, 0)):
    referral = accepted(referral, physio, coordinator)
    return services.book_appointment(referral, by=coordinator, day=day, at=at, place="Room 2")


# --- proposal and routing -----------------------------------------------------------------


def test_a_proposal_goes_to_the_campus_of_the_postcode_with_its_reason():
    referral = make_referral(postcode="2840")
    assert referral.state == ReferralState.PROPOSED
    assert referral.campus.code == "rumst"
    assert referral.campus_reason == "postcode 2840 is in the Rumst catchment"
    assert referral.campus_rule == "catchment"


def test_the_patients_preference_wins_over_the_postcode():
    rumst = Campus.objects.get(code="rumst")
    referral = make_referral(postcode="2880", campus_preference=rumst)
    assert (referral.campus, referral.campus_reason) == (rumst, "patient prefers Rumst")


def test_outside_every_catchment_the_shortest_wait_decides(physio):
    busy = make_referral(postcode="2880")
    services.send_referral(busy, by=physio)
    referral = make_referral(postcode="9000")
    assert referral.campus.code == "rumst"
    assert referral.campus_reason.startswith("shortest expected wait: Rumst 0.0 weeks")


def test_with_no_campus_accepting_the_proposal_waits_without_campus(caplog):
    stop_accepting("bornem", "rumst")
    referral = make_referral(postcode="2880")
    assert referral.campus is None
    assert referral.campus_reason == "no campus is accepting referrals"
    assert "no campus is accepting referrals" in caplog.text


def test_proposing_twice_for_one_episode_gives_the_same_referral():
    first = make_referral()
    again = services.propose_referral(first.episode, source="physio", reason="again")
    assert again.pk == first.pk
    assert Referral.objects.filter(episode=first.episode).count() == 1


def test_an_episode_whose_referral_ended_can_be_referred_again(physio):
    first = make_referral()
    services.cancel_referral(first, by=physio, reason="patient moved abroad")
    second = services.propose_referral(first.episode, source="physio", reason="back", by=physio)
    assert second.pk != first.pk


def test_a_proposal_needs_a_reason():
    intake = make_intake()
    with pytest.raises(services.ReferralError):
        services.propose_referral(intake.episode, source="physio", reason="  ")


def test_a_proposal_stores_the_first_letter_and_a_history_entry():
    referral = make_referral()
    assert list(referral.letters.values_list("version", flat=True)) == [1]
    event = referral.events.get()
    assert (event.action, event.to_state, event.by) == ("propose", "proposed", None)


def test_the_active_and_for_campus_querysets_find_the_proposal():
    referral = make_referral(postcode="2880")
    bornem = Campus.objects.get(code="bornem")
    assert list(Referral.objects.active().for_campus(bornem)) == [referral]


# --- the lifecycle ------------------------------------------------------------------------


def test_a_coordinator_takes_a_referral_from_sent_to_closed(physio, coordinator_bornem):
    referral = booked(make_referral(postcode="2880"), physio, coordinator_bornem)
    with time_machine.travel(dt.datetime(2026, 3, 3, 11, 0, tzinfo=dt.UTC), tick=False):
        referral = services.mark_seen(referral, by=coordinator_bornem)
        referral = services.close_referral(referral, by=coordinator_bornem, note="plan agreed")
    actions = list(referral.events.values_list("action", "to_state"))
    assert actions == [
        ("propose", "proposed"),
        ("send", "sent"),
        ("accept", "accepted"),
        ("book", "booked"),
        ("seen", "seen"),
        ("close", "closed"),
    ]


def test_every_step_records_who_did_it_and_when(physio, coordinator_bornem):
    referral = accepted(make_referral(postcode="2880"), physio, coordinator_bornem)
    send, accept = referral.events.filter(action__in=["send", "accept"]).order_by("id")
    assert (send.by, send.at) == (physio, NOW)
    assert (accept.by, accept.at) == (coordinator_bornem, NOW)


def test_booking_keeps_date_time_and_place(physio, coordinator_bornem):
    referral = booked(make_referral(postcode="2880"), physio, coordinator_bornem)
    referral.refresh_from_db()
    assert (referral.appointment_date, referral.appointment_time, referral.appointment_place) == (
        TOMORROW,
        dt.time(10, 0),
        "Room 2",
    )


def test_a_physiotherapist_can_send_to_another_campus_with_a_reason(physio):
    rumst = Campus.objects.get(code="rumst")
    referral = services.send_referral(
        make_referral(postcode="2880"),
        by=physio,
        campus=rumst,
        campus_change_reason="works in Boom",
    )
    assert (referral.campus, referral.campus_reason) == (rumst, "works in Boom")
    assert referral.events.get(action="send").from_campus.code == "bornem"


def test_changing_the_campus_without_a_reason_is_refused(physio):
    rumst = Campus.objects.get(code="rumst")
    with pytest.raises(services.ReferralError, match="reason"):
        services.send_referral(make_referral(postcode="2880"), by=physio, campus=rumst)


def test_sending_makes_a_new_letter_version(physio):
    referral = services.send_referral(make_referral(), by=physio)
    assert sorted(referral.letters.values_list("version", flat=True)) == [1, 2]


def test_sending_a_proposal_whose_campus_stopped_accepting_routes_it_again(physio):
    referral = make_referral(postcode="2880")
    stop_accepting("bornem")
    referral = services.send_referral(referral, by=physio)
    assert referral.campus.code == "rumst"


def test_a_coordinator_redirects_to_the_other_campus_which_finds_it_incoming(
    physio, coordinator_bornem
):
    referral = accepted(make_referral(postcode="2880"), physio, coordinator_bornem)
    rumst = Campus.objects.get(code="rumst")
    referral = services.redirect_referral(
        referral, by=coordinator_bornem, campus=rumst, reason="Bornem full until May"
    )
    assert (referral.state, referral.campus) == (ReferralState.SENT, rumst)
    assert list(Referral.objects.visible_to_coordinator(rumst)) == [referral]


def test_a_coordinator_declines_with_a_reason(physio, coordinator_bornem):
    referral = services.send_referral(make_referral(postcode="2880"), by=physio)
    referral = services.decline_referral(referral, by=coordinator_bornem, reason="needs surgery")
    assert (referral.state, referral.end_reason) == (ReferralState.DECLINED, "needs surgery")


def test_declining_without_a_reason_is_refused(physio, coordinator_bornem):
    referral = services.send_referral(make_referral(postcode="2880"), by=physio)
    with pytest.raises(services.ReferralError):
        services.decline_referral(referral, by=coordinator_bornem, reason="")


def test_an_unassigned_referral_is_taken_by_a_coordinator_for_their_campus(
    physio, coordinator_rumst
):
    stop_accepting("bornem", "rumst")
    referral = services.send_referral(make_referral(postcode="2880"), by=physio)
    assert list(Referral.objects.unassigned()) == [referral]
    referral = services.accept_referral(referral, by=coordinator_rumst)
    assert (referral.state, referral.campus.code) == (ReferralState.ACCEPTED, "rumst")
    assert referral.campus_rule == "taken"


# --- refusals -----------------------------------------------------------------------------


def test_an_illegal_transition_is_refused_with_a_clear_message(physio, coordinator_bornem):
    referral = services.send_referral(make_referral(postcode="2880"), by=physio)
    with pytest.raises(services.IllegalTransition) as refused:
        services.mark_seen(referral, by=coordinator_bornem)
    assert str(refused.value) == "You cannot mark as seen this referral: it is approved and sent."
    referral.refresh_from_db()
    assert referral.state == ReferralState.SENT


def test_a_closed_referral_cannot_be_booked(physio, coordinator_bornem):
    referral = make_referral(postcode="2880")
    services.cancel_referral(referral, by=physio, reason="patient recovered")
    with pytest.raises(services.IllegalTransition, match="it is cancelled"):
        services.book_appointment(referral, by=coordinator_bornem, day=TOMORROW, at=dt.time(9, 0))


def test_booking_in_the_past_is_refused(physio, coordinator_bornem):
    referral = accepted(make_referral(postcode="2880"), physio, coordinator_bornem)
    with pytest.raises(services.BookingRefused, match="must be in the future"):
        services.book_appointment(
            referral, by=coordinator_bornem, day=dt.date(2026, 3, 1), at=dt.time(10, 0)
        )


def test_booking_a_slot_already_taken_at_the_campus_is_refused(physio, coordinator_bornem):
    booked(make_referral(postcode="2880"), physio, coordinator_bornem)
    other = accepted(make_referral(postcode="2870"), physio, coordinator_bornem)
    with pytest.raises(services.BookingRefused, match="already has an appointment on 03/03/2026"):
        services.book_appointment(other, by=coordinator_bornem, day=TOMORROW, at=dt.time(10, 0))
    other.refresh_from_db()
    assert other.state == ReferralState.ACCEPTED


def test_the_same_slot_at_the_other_campus_is_free(physio, coordinator_bornem, coordinator_rumst):
    booked(make_referral(postcode="2880"), physio, coordinator_bornem)
    other = booked(make_referral(postcode="2840"), physio, coordinator_rumst)
    assert other.state == ReferralState.BOOKED


def test_moving_an_appointment_to_another_time_keeps_it_booked(physio, coordinator_bornem):
    referral = booked(make_referral(postcode="2880"), physio, coordinator_bornem)
    referral = services.book_appointment(
        referral, by=coordinator_bornem, day=TOMORROW, at=dt.time(14, 30)
    )
    assert (referral.state, referral.appointment_time) == (ReferralState.BOOKED, dt.time(14, 30))


def test_a_coordinator_cannot_act_on_a_referral_of_the_other_campus(physio, coordinator_rumst):
    referral = services.send_referral(make_referral(postcode="2880"), by=physio)
    with pytest.raises(services.WrongCampus, match="belongs to Bornem, not to Rumst"):
        services.accept_referral(referral, by=coordinator_rumst)


def test_the_patient_cannot_be_marked_seen_before_the_appointment(physio, coordinator_bornem):
    referral = booked(make_referral(postcode="2880"), physio, coordinator_bornem)
    with pytest.raises(services.IllegalTransition, match="03/03/2026"):
        services.mark_seen(referral, by=coordinator_bornem)


def test_redirecting_to_a_campus_not_accepting_is_refused(physio, coordinator_bornem):
    referral = services.send_referral(make_referral(postcode="2880"), by=physio)
    stop_accepting("rumst")
    with pytest.raises(services.ReferralError, match="Rumst is not accepting referrals"):
        services.redirect_referral(
            referral, by=coordinator_bornem, campus=Campus.objects.get(code="rumst"), reason="x"
        )


# --- expected wait and capacity -----------------------------------------------------------


def test_the_expected_wait_is_open_referrals_divided_by_weekly_capacity(physio):
    from referrals.waits import campus_waits

    Campus.objects.filter(code="bornem").update(weekly_capacity=4)
    for postcode in ("2880", "2870"):
        services.send_referral(make_referral(postcode=postcode), by=physio)
    make_referral(postcode="2890")  # a proposal is not on the waiting list yet
    waits = {wait.campus.code: wait for wait in campus_waits()}
    assert (waits["bornem"].open_referrals, waits["bornem"].expected_wait_weeks) == (2, 0.5)
    assert waits["rumst"].expected_wait_weeks == 0.0


def test_a_capacity_change_is_logged_with_who_and_the_old_and_new_values(manager):
    bornem = Campus.objects.get(code="bornem")
    change = services.update_campus_capacity(bornem, weekly_capacity=3, accepting=False, by=manager)
    assert (change.changed_by, change.changed_at) == (manager, NOW)
    assert (change.old_weekly_capacity, change.new_weekly_capacity) == (10, 3)
    assert (change.old_accepting, change.new_accepting) == (True, False)


def test_saving_the_same_capacity_logs_nothing(manager):
    bornem = Campus.objects.get(code="bornem")
    assert (
        services.update_campus_capacity(bornem, weekly_capacity=10, accepting=True, by=manager)
        is None
    )


def test_the_letter_follows_the_patients_language():
    referral = make_referral(patient=PatientFactory(language="fr"))
    assert referral.letters.get().language == "fr"


def test_timestamps_are_aware_and_now():
    referral = make_referral()
    assert referral.created_at == timezone.now()


# --- a coordinator cancelling ---------------------------------------------------------------


def test_the_coordinator_cancels_a_booked_referral_with_the_reason_and_frees_the_slot(
    physio, coordinator_bornem
):
    referral = booked(make_referral(postcode="2880"), physio, coordinator_bornem)

    cancelled = services.cancel_referral(
        referral, by=coordinator_bornem, reason="  patient moved to Ghent  "
    )

    referral = Referral.objects.get(pk=cancelled.pk)
    assert referral.state == ReferralState.CANCELLED
    assert referral.end_reason == "patient moved to Ghent"
    event = referral.events.latest("pk")
    assert (event.action, event.from_state, event.to_state, event.by, event.note) == (
        "cancel",
        ReferralState.BOOKED,
        ReferralState.CANCELLED,
        coordinator_bornem,
        "patient moved to Ghent",
    )
    # The appointment slot is free again for another patient of the campus.
    other = accepted(make_referral(postcode="2870"), physio, coordinator_bornem)
    services.book_appointment(other, by=coordinator_bornem, day=TOMORROW, at=dt.time(10, 0))
    assert Referral.objects.get(pk=other.pk).state == ReferralState.BOOKED


def test_a_coordinator_cannot_cancel_a_referral_of_another_campus(physio, coordinator_rumst):
    referral = services.send_referral(make_referral(postcode="2880"), by=physio)

    with pytest.raises(services.WrongCampus, match="belongs to Bornem, not to Rumst"):
        services.cancel_referral(referral, by=coordinator_rumst, reason="not ours")

    referral.refresh_from_db()
    assert referral.state == ReferralState.SENT
    assert not referral.events.filter(action="cancel").exists()


def test_a_coordinator_must_give_the_reason_for_cancelling(physio, coordinator_bornem):
    referral = accepted(make_referral(postcode="2880"), physio, coordinator_bornem)

    with pytest.raises(services.ReferralError, match="Give the reason for cancelling."):
        services.cancel_referral(referral, by=coordinator_bornem, reason="   ")

    referral.refresh_from_db()
    assert referral.state == ReferralState.ACCEPTED


def test_a_cancelled_referral_cannot_be_cancelled_again(physio, coordinator_bornem):
    referral = accepted(make_referral(postcode="2880"), physio, coordinator_bornem)
    services.cancel_referral(referral, by=coordinator_bornem, reason="patient recovered")

    with pytest.raises(services.IllegalTransition, match="it is cancelled"):
        services.cancel_referral(referral, by=coordinator_bornem, reason="twice")
    assert Referral.objects.get(pk=referral.pk).events.filter(action="cancel").count() == 1
