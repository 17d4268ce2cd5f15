import io

import pytest

from demo import clinics as staff_demo
from demo import referrals as demo
from demo.management.commands.seed_demo import DEMO_STEPS
from referrals.models import Referral, ReferralState

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def seeded():
    out = io.StringIO()
    staff_demo.seed(out)
    demo.seed(out)
    return out


def test_the_demo_has_referrals_in_every_state_at_both_campuses(seeded):
    present = set(Referral.objects.values_list("campus__code", "state"))
    for campus in ("bornem", "rumst"):
        for state in ReferralState.values:
            assert (campus, state) in present, (campus, state)


def test_the_demo_has_a_referral_waiting_for_a_campus(seeded):
    assert Referral.objects.unassigned().count() == 1


def test_the_demo_has_a_redirected_referral_at_both_campuses(seeded):
    redirected = Referral.objects.filter(events__action="redirect")
    assert set(redirected.values_list("campus__code", flat=True)) == {"bornem", "rumst"}


def test_the_demo_step_is_idempotent(seeded):
    count = Referral.objects.count()
    demo.seed(io.StringIO())
    assert Referral.objects.count() == count


def test_the_demo_step_runs_after_the_follow_ups():
    assert DEMO_STEPS[-1] == "demo.referrals"
    assert DEMO_STEPS.index("demo.followups") < DEMO_STEPS.index("demo.referrals")
