"""Badge colours: red only for danger, the same in a row partial and a full page."""

import pytest
from django.template.loader import render_to_string

from referrals.models import Referral, ReferralState


@pytest.mark.parametrize(
    ("disposition", "colour"),
    [
        ("EMERGENCY", "text-bg-danger"),
        ("GP_URGENT", "text-bg-warning"),
        ("GP_SOON", "text-bg-warning"),
        ("PHYSIO", "text-bg-light border"),
    ],
)
def test_a_disposition_badge_is_red_only_for_an_emergency(disposition, colour):
    html = render_to_string(
        "intake/_disposition_badge.html", {"disposition": disposition, "label": "Label"}
    )
    assert html.strip() == f'<span class="badge {colour}">Label</span>'


@pytest.mark.parametrize(
    ("state", "colour"),
    [
        (ReferralState.BOOKED, "text-bg-info"),
        (ReferralState.ACCEPTED, "text-bg-info"),
        (ReferralState.CLOSED, "text-bg-secondary"),
        (ReferralState.DECLINED, "text-bg-secondary"),
        (ReferralState.CANCELLED, "text-bg-secondary"),
        (ReferralState.PROPOSED, "text-bg-light border"),
    ],
)
def test_a_referral_state_badge_has_its_colour_and_label(state, colour):
    html = render_to_string("referrals/_state_badge.html", {"referral": Referral(state=state)})
    assert f'class="badge rounded-pill {colour}"' in html
    assert str(state.label) in html
    assert "text-bg-danger" not in html
