from datetime import date
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from demo.followups import DEMO_MARK
from followups.models import FollowUp, FollowUpState, Outcome
from intake.models import Patient
from outbox.models import OutboundEmail
from tests.factories import make_follow_up

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_run_followups_sweeps_as_of_the_given_brussels_time_and_sends_the_mail():
    follow_up = make_follow_up(intake_date=date(2026, 10, 20))
    out = StringIO()
    call_command("run_followups", now="2026-12-01T08:59", stdout=out)
    assert FollowUp.objects.get(pk=follow_up.pk).state == FollowUpState.SCHEDULED
    call_command("run_followups", now="2026-12-01T09:00", stdout=out)
    assert FollowUp.objects.get(pk=follow_up.pk).state == FollowUpState.INVITED
    assert "invited 1" in out.getvalue()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [follow_up.episode.patient.email]


def test_run_followups_can_leave_the_mail_for_the_worker():
    make_follow_up(intake_date=date(2026, 10, 20))
    call_command("run_followups", now="2026-12-01T09:00", no_send=True, stdout=StringIO())
    assert OutboundEmail.objects.get().state == "queued"
    assert mail.outbox == []


def test_run_followups_refuses_a_time_it_cannot_read():
    with pytest.raises(CommandError, match="not an ISO date"):
        call_command("run_followups", now="tomorrow morning")


def test_the_demo_has_follow_ups_in_every_state_and_every_outcome(demo_switches):
    call_command("seed_demo", stdout=StringIO())
    demo = FollowUp.objects.filter(episode__patient__no_insz_reason=DEMO_MARK)
    assert set(demo.values_list("state", flat=True)) == set(FollowUpState.values)
    assert set(demo.exclude(outcome="").values_list("outcome", flat=True)) == set(Outcome.values)
    assert demo.filter(number=2).exists()
    assert OutboundEmail.objects.filter(state="sent").exists()
    assert OutboundEmail.objects.failures_to_review().exists()
    count = Patient.objects.count()
    call_command("seed_demo", stdout=StringIO())
    assert Patient.objects.count() == count
