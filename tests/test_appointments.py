"""The appointment loop (issue 16): the coordinator books from the campus's free slots
(or types a time); booking, moving and cancelling e-mail the patient in their language
with the date, time, address, phone and an .ics file; a reminder goes out two days
before, scheduled in the database and sent by the beat task."""

import datetime as dt

import icalendar
import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import formats, translation

from clinics.models import Campus
from outbox import drain
from outbox.models import OutboundEmail
from referrals import ics, services, slots, tasks
from referrals.models import AppointmentSlot, Referral, ReferralState
from tests.factories import PatientFactory, make_referral

pytestmark = pytest.mark.django_db

# Monday 2 March 2026, 10:00 in Brussels.
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
THURSDAY = dt.date(2026, 3, 5)
NEXT_THURSDAY = dt.date(2026, 3, 12)
NINE = dt.time(9, 0)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


def accepted(physio, coordinator, **patient):
    referral = make_referral(PatientFactory(postcode="2880", **patient))
    referral = services.send_referral(referral, by=physio)
    referral = services.accept_referral(referral, by=coordinator)
    drain.send_due_emails()  # the "referral sent" e-mail, out of the way
    return referral


def appointment_mail(template):
    return OutboundEmail.objects.filter(template=template).order_by("pk")


def sent_messages():
    mail.outbox.clear()
    drain.send_due_emails()
    return list(mail.outbox)


def calendar_of(message):
    (name, content, mimetype), *_rest = message.attachments
    assert (name, mimetype) == ("appointment.ics", "text/calendar")
    return icalendar.Calendar.from_ical(content)


def event_of(calendar):
    (event,) = calendar.walk("VEVENT")
    return event


# --- the week of slots (pure) -----------------------------------------------------------


TEMPLATE = [slots.SlotTemplate(3, dt.time(9, 0)), slots.SlotTemplate(3, dt.time(9, 30))]


def test_a_week_lays_the_template_on_its_days():
    week = slots.week(TEMPLATE, dt.date(2026, 3, 2), booked=[], now=dt.datetime(2026, 3, 2, 10, 0))
    thursday = week[3]
    assert thursday.day == THURSDAY
    assert [s.value for s in thursday.slots] == ["2026-03-05T09:00", "2026-03-05T09:30"]
    assert all(s.free for s in thursday.slots)
    assert [len(day.slots) for day in week] == [0, 0, 0, 2, 0, 0, 0]


def test_a_booking_inside_a_slot_takes_it_and_the_past_is_not_free():
    week = slots.week(
        TEMPLATE,
        dt.date(2026, 3, 2),
        booked=[(THURSDAY, dt.time(9, 40))],
        now=dt.datetime(2026, 3, 5, 9, 10),
    )
    early, late = week[3].slots
    assert (early.past, early.taken, early.free) == (True, False, False)
    assert (late.past, late.taken, late.free) == (False, True, False)


def test_the_referrals_own_appointment_is_marked():
    week = slots.week(
        TEMPLATE,
        dt.date(2026, 3, 2),
        booked=[(THURSDAY, NINE)],
        now=dt.datetime(2026, 3, 2, 10, 0),
        mine=(THURSDAY, NINE),
    )
    assert [s.mine for s in week[3].slots] == [True, False]


def test_a_slot_value_that_is_not_a_moment_is_refused():
    with pytest.raises(ValueError):
        slots.parse_slot("thursday 9")


# --- the calendar file --------------------------------------------------------------------


def test_the_ics_file_parses_with_the_campus_address_and_utc_times():
    start = dt.datetime(2026, 3, 5, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    text = ics.calendar(
        ics.CalendarEvent(
            uid="referral-1-appointment@example.org",
            start=start,
            minutes=30,
            summary="Afspraak pijnkliniek, campus Rumst",
            location="Campus Rumst, Kerkstraat 1; 2840 Rumst",
            description="Vragen? Bel campus Rumst: 03 880 90 11. " * 4,
            sequence=2,
            stamp=start,
        )
    )
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    calendar = icalendar.Calendar.from_ical(text)
    event = event_of(calendar)
    assert event.decoded("dtstart") == start
    assert event.decoded("dtend") - event.decoded("dtstart") == dt.timedelta(minutes=30)
    assert str(event["location"]) == "Campus Rumst, Kerkstraat 1; 2840 Rumst"
    assert str(event["description"]).count("03 880 90 11") == 4
    assert (int(event["sequence"]), str(calendar["method"])) == (2, "PUBLISH")


def test_a_cancelled_appointment_is_a_calendar_cancellation():
    start = dt.datetime(2026, 3, 5, 8, 0, tzinfo=dt.UTC)
    event = ics.CalendarEvent("u@x", start, 30, "s", "l", "d", 1, start, cancelled=True)
    calendar = icalendar.Calendar.from_ical(ics.calendar(event))
    assert (str(calendar["method"]), str(event_of(calendar)["status"])) == ("CANCEL", "CANCELLED")


# --- booking, moving, cancelling --------------------------------------------------------


def test_booking_emails_the_patient_in_their_language_with_an_ics(physio, coordinator_bornem):
    referral = accepted(physio, coordinator_bornem, language="fr", first_name="Amélie")
    services.book_appointment(referral, by=coordinator_bornem, day=THURSDAY, at=NINE)
    (message,) = sent_messages()
    body = message.body
    with translation.override("fr"):
        assert formats.date_format(THURSDAY, "l j F Y") in body  # jeudi 5 mars 2026
    bornem = Campus.objects.get(code="bornem")
    assert "09:00" in body and bornem.phone in body and "Amélie" in body
    assert message.extra_headers["Content-Language"] == "fr"
    event = event_of(calendar_of(message))
    assert event.decoded("dtstart") == dt.datetime(2026, 3, 5, 8, 0, tzinfo=dt.UTC)
    assert bornem.phone in str(event["description"])


def test_moving_tells_the_old_and_new_time_and_updates_the_same_calendar_event(
    physio, coordinator_bornem
):
    referral = accepted(physio, coordinator_bornem, language="en")
    services.book_appointment(referral, by=coordinator_bornem, day=THURSDAY, at=NINE)
    (booked,) = sent_messages()
    services.book_appointment(referral, by=coordinator_bornem, day=NEXT_THURSDAY, at=NINE)
    (moved,) = sent_messages()
    assert "Thursday 5 March 2026 at 09:00 has moved" in moved.body
    assert "Thursday 12 March 2026" in moved.body
    first, second = event_of(calendar_of(booked)), event_of(calendar_of(moved))
    assert first["uid"] == second["uid"]
    assert int(second["sequence"]) > int(first["sequence"])


def test_booking_the_same_time_again_sends_nothing_new(physio, coordinator_bornem):
    referral = accepted(physio, coordinator_bornem)
    services.book_appointment(referral, by=coordinator_bornem, day=THURSDAY, at=NINE)
    services.book_appointment(referral, by=coordinator_bornem, day=THURSDAY, at=NINE)
    assert OutboundEmail.objects.filter(reference=f"referral:{referral.pk}").count() == 1


def test_cancelling_the_appointment_keeps_the_referral_and_tells_the_patient(
    physio, coordinator_bornem
):
    referral = accepted(physio, coordinator_bornem, language="en")
    services.book_appointment(referral, by=coordinator_bornem, day=THURSDAY, at=NINE)
    sent_messages()
    referral = services.cancel_appointment(referral, by=coordinator_bornem, reason="Doctor ill")
    assert (referral.state, referral.appointment_date, referral.reminder_due_at) == (
        ReferralState.ACCEPTED,
        None,
        None,
    )
    (message,) = sent_messages()
    assert "is cancelled" in message.body and "Thursday 5 March 2026" in message.body
    assert str(calendar_of(message)["method"]) == "CANCEL"


def test_cancelling_a_booked_referral_cancels_the_appointment_for_the_patient(
    physio, coordinator_bornem
):
    referral = accepted(physio, coordinator_bornem)
    services.book_appointment(referral, by=coordinator_bornem, day=THURSDAY, at=NINE)
    services.cancel_referral(referral, by=physio, reason="Recovered")
    assert appointment_mail("appointment_cancelled").count() == 1


def test_a_patient_without_email_consent_gets_no_appointment_email(physio, coordinator_bornem):
    referral = accepted(physio, coordinator_bornem, email_consent=False, email_consent_at=None)
    referral = services.book_appointment(referral, by=coordinator_bornem, day=THURSDAY, at=NINE)
    assert not OutboundEmail.objects.filter(template__startswith="appointment_").exists()
    assert referral.reminder_due_at is None


# --- the reminder -----------------------------------------------------------------------


def test_the_reminder_is_due_at_nine_two_days_before(physio, coordinator_bornem):
    referral = accepted(physio, coordinator_bornem)
    referral = services.book_appointment(
        referral, by=coordinator_bornem, day=NEXT_THURSDAY, at=dt.time(14, 0)
    )
    assert referral.reminder_due_at == dt.datetime(2026, 3, 10, 8, 0, tzinfo=dt.UTC)


def test_the_beat_task_sends_the_reminder_once(physio, coordinator_bornem):
    referral = accepted(physio, coordinator_bornem, language="en")
    services.book_appointment(referral, by=coordinator_bornem, day=NEXT_THURSDAY, at=NINE)
    assert tasks.send_appointment_reminders() == 0
    with time_machine.travel(dt.datetime(2026, 3, 10, 8, 0, tzinfo=dt.UTC), tick=False):
        assert tasks.send_appointment_reminders() == 1
        assert tasks.send_appointment_reminders() == 0
        (message,) = [m for m in sent_messages() if "reminder" in m.subject.lower()]
    assert "Thursday 12 March 2026" in message.body
    assert appointment_mail("appointment_reminder").count() == 1


def test_moving_the_appointment_schedules_the_reminder_again(physio, coordinator_bornem):
    referral = accepted(physio, coordinator_bornem)
    services.book_appointment(referral, by=coordinator_bornem, day=NEXT_THURSDAY, at=NINE)
    with time_machine.travel(dt.datetime(2026, 3, 10, 8, 0, tzinfo=dt.UTC), tick=False):
        services.send_due_reminders()
        referral = services.book_appointment(
            referral, by=coordinator_bornem, day=dt.date(2026, 3, 19), at=NINE
        )
    assert referral.reminder_sent_at is None
    assert referral.reminder_due_at == dt.datetime(2026, 3, 17, 8, 0, tzinfo=dt.UTC)


def test_an_appointment_within_two_days_gets_no_separate_reminder(physio, coordinator_bornem):
    referral = accepted(physio, coordinator_bornem)
    referral = services.book_appointment(
        referral, by=coordinator_bornem, day=dt.date(2026, 3, 3), at=NINE
    )
    assert referral.reminder_due_at is None


def test_a_cancelled_appointment_is_not_reminded(physio, coordinator_bornem):
    referral = accepted(physio, coordinator_bornem)
    services.book_appointment(referral, by=coordinator_bornem, day=NEXT_THURSDAY, at=NINE)
    services.cancel_appointment(referral, by=coordinator_bornem, reason="Doctor ill")
    with time_machine.travel(dt.datetime(2026, 3, 10, 8, 0, tzinfo=dt.UTC), tick=False):
        assert services.send_due_reminders() == 0


# --- the referral e-mail: one way to an appointment --------------------------------------


def test_the_referral_email_says_the_campus_proposes_the_appointment(physio):
    referral = make_referral(PatientFactory(postcode="2880", language="en"))
    services.send_referral(referral, by=physio)
    (message,) = sent_messages()
    assert "will propose an appointment to you" in message.body
    assert "to make your appointment" not in message.body


# --- the pages ------------------------------------------------------------------------------


def thursday_slots():
    bornem = Campus.objects.get(code="bornem")
    for start in (dt.time(9, 0), dt.time(9, 30)):
        AppointmentSlot.objects.create(campus=bornem, weekday=3, start=start)


def test_the_referral_page_shows_the_week_of_free_and_taken_slots(
    english, physio, coordinator_bornem
):
    thursday_slots()
    other = accepted(physio, coordinator_bornem)
    services.book_appointment(other, by=coordinator_bornem, day=THURSDAY, at=NINE)
    referral = accepted(physio, coordinator_bornem)
    english.force_login(coordinator_bornem)
    page = english.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert 'value="2026-03-05T09:30"' in page
    assert 'value="2026-03-05T09:00"' not in page  # taken
    later = english.get(reverse("referrals:detail", args=[referral.pk]), {"week": "2026-03-12"})
    assert 'value="2026-03-12T09:00"' in later.content.decode()


def test_a_coordinator_books_by_clicking_a_free_slot(english, physio, coordinator_bornem):
    thursday_slots()
    referral = accepted(physio, coordinator_bornem)
    english.force_login(coordinator_bornem)
    response = english.post(
        reverse("referrals:action", args=[referral.pk, "book"]), {"book-slot": "2026-03-05T09:30"}
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert (referral.state, referral.appointment_date, referral.appointment_time) == (
        ReferralState.BOOKED,
        THURSDAY,
        dt.time(9, 30),
    )
    bornem = Campus.objects.get(code="bornem")
    assert referral.appointment_place == (bornem.address or bornem.name)


def test_a_typed_time_outside_the_template_still_books(english, physio, coordinator_bornem):
    thursday_slots()
    referral = accepted(physio, coordinator_bornem)
    english.force_login(coordinator_bornem)
    english.post(
        reverse("referrals:action", args=[referral.pk, "book"]),
        {"book-day": "2026-03-06", "book-at": "16:15"},
    )
    referral.refresh_from_db()
    assert (referral.appointment_date, referral.appointment_time) == (
        dt.date(2026, 3, 6),
        dt.time(16, 15),
    )


def test_booking_without_slot_or_date_says_what_is_missing(english, physio, coordinator_bornem):
    referral = accepted(physio, coordinator_bornem)
    english.force_login(coordinator_bornem)
    response = english.post(reverse("referrals:action", args=[referral.pk, "book"]), {})
    assert response.status_code == 400
    assert "Choose a free slot, or type the date." in response.content.decode()
    assert Referral.objects.get(pk=referral.pk).state == ReferralState.ACCEPTED


def test_the_coordinator_cancels_an_appointment_from_the_referral_page(
    english, physio, coordinator_bornem
):
    referral = accepted(physio, coordinator_bornem)
    services.book_appointment(referral, by=coordinator_bornem, day=THURSDAY, at=NINE)
    english.force_login(coordinator_bornem)
    english.post(
        reverse("referrals:action", args=[referral.pk, "unbook"]), {"unbook-reason": "Doctor ill"}
    )
    assert Referral.objects.get(pk=referral.pk).state == ReferralState.ACCEPTED


def test_the_reception_patient_page_shows_the_booked_appointment(
    english, physio, coordinator_bornem, receptionist
):
    referral = accepted(physio, coordinator_bornem)
    services.book_appointment(referral, by=coordinator_bornem, day=THURSDAY, at=NINE)
    english.force_login(receptionist)
    page = english.get(reverse("intake:patient_detail", args=[referral.episode.patient_id]))
    text = page.content.decode()
    assert "pain-clinic appointment on Thursday 05/03/2026 at 09:00, campus Bornem" in text
    assert "waiting for a physiotherapist" not in text
