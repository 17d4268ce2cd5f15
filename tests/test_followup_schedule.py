from datetime import UTC, date, datetime, time, timedelta

import pytest

from followups import schedule
from followups.models import FollowUp, FollowUpState
from followups.services import schedule_follow_up
from intake.triage import TriageInputError
from tests.factories import PatientFactory, make_follow_up, make_intake


def test_a_follow_up_is_due_42_days_after_the_intake_at_nine_local():
    due = schedule.due_at_for(date(2026, 1, 5))
    assert due.astimezone(schedule.CLINIC_ZONE).replace(tzinfo=None) == datetime(2026, 2, 16, 9)


@pytest.mark.parametrize(
    ("intake_date", "due_utc"),
    [
        # Due on Sunday 29 March 2026, the day summer time starts: 09:00 CEST = 07:00 UTC.
        (date(2026, 2, 15), datetime(2026, 3, 29, 7, 0, tzinfo=UTC)),
        # Due the Saturday before: still winter time, 09:00 CET = 08:00 UTC.
        (date(2026, 2, 14), datetime(2026, 3, 28, 8, 0, tzinfo=UTC)),
        # Due on Sunday 25 October 2026, the day winter time returns: 08:00 UTC.
        (date(2026, 9, 13), datetime(2026, 10, 25, 8, 0, tzinfo=UTC)),
        # Due the Saturday before: still summer time, 07:00 UTC.
        (date(2026, 9, 12), datetime(2026, 10, 24, 7, 0, tzinfo=UTC)),
    ],
)
def test_the_due_time_stays_nine_local_across_daylight_saving_changes(intake_date, due_utc):
    due = schedule.due_at_for(intake_date)
    assert due == due_utc
    assert due.astimezone(schedule.CLINIC_ZONE).time() == time(9, 0)


@pytest.mark.parametrize(
    ("local", "open_"),
    [(time(7, 59), False), (time(8, 0), True), (time(19, 59), True), (time(20, 0), False)],
)
def test_mail_may_only_be_queued_between_eight_and_eight(local, open_):
    moment = datetime.combine(date(2026, 7, 1), local, tzinfo=schedule.CLINIC_ZONE)
    assert schedule.mail_window_open(moment) is open_


def test_reminders_come_three_and_seven_days_after_the_invitation_then_the_link_expires():
    invited = schedule.local_at(date(2026, 3, 1))
    assert schedule.next_step_at(invited, 0, invited) == invited + timedelta(days=3)
    day3 = invited + timedelta(days=3)
    assert schedule.next_step_at(invited, 1, day3) == invited + timedelta(days=7)
    day7 = invited + timedelta(days=7)
    assert schedule.next_step_at(invited, 2, day7) == invited + timedelta(days=14)


def test_a_late_first_reminder_does_not_bring_the_second_one_the_same_day():
    invited = schedule.local_at(date(2026, 3, 1))
    late = invited + timedelta(days=6, hours=23)
    assert schedule.next_step_at(invited, 1, late) == late + schedule.MIN_REMINDER_GAP


@pytest.mark.django_db
def test_recording_an_intake_schedules_the_first_follow_up():
    follow_up = make_follow_up(intake_date=date(2026, 1, 5))
    assert follow_up.state == FollowUpState.SCHEDULED
    assert follow_up.number == 1
    assert follow_up.due_at == schedule.due_at_for(date(2026, 1, 5))
    assert follow_up.next_action_at == follow_up.due_at


@pytest.mark.django_db
def test_an_intake_that_fails_validation_leaves_no_follow_up():
    with pytest.raises(TriageInputError):
        make_intake(PatientFactory(), pain_now=11)
    assert not FollowUp.objects.exists()


@pytest.mark.django_db
def test_scheduling_twice_gives_the_same_follow_up():
    follow_up = make_follow_up()
    assert schedule_follow_up(follow_up.episode, number=1) == follow_up
    assert FollowUp.objects.count() == 1


@pytest.mark.django_db
def test_the_second_follow_up_is_due_42_days_after_the_first_was_answered():
    # Rules 2027.1 (section 4): counted from the answer, not from the first's due date.
    first = make_follow_up(intake_date=date(2026, 1, 5))
    FollowUp.objects.filter(pk=first.pk).update(
        answered_at=datetime(2026, 2, 20, 12, tzinfo=UTC), state="answered", outcome="improving"
    )
    second = schedule_follow_up(first.episode, number=2)
    assert second.due_at == schedule.local_at(date(2026, 2, 20) + timedelta(days=42))


@pytest.mark.django_db
def test_without_an_answer_the_second_follow_up_counts_from_today(time_machine):
    first = make_follow_up(intake_date=date(2026, 1, 5))
    time_machine.move_to(datetime(2026, 4, 10, 12, tzinfo=UTC))
    second = schedule_follow_up(first.episode, number=2)
    assert second.due_at == schedule.local_at(date(2026, 4, 10) + timedelta(days=42))
