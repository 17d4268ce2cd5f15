"""The referral letter says why in plain words in the letter's language, and the campus
reason is shown in the reader's language (clinical-rules.md section 5)."""

import datetime as dt

import pytest
import time_machine
from django.utils import translation

from followups.models import FollowUp
from referrals import routing
from referrals.letter import letter_content
from referrals.models import Referral
from tests.factories import PatientFactory, make_intake

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 4, 13, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def referral_after_a_persistent_follow_up(language: str, **intake_answers) -> Referral:
    """A referral proposed by an answered six-week follow-up, as ``answer_follow_up`` does."""
    from referrals.services import propose_referral

    intake = make_intake(
        PatientFactory(language=language, postcode="2840"),
        intake_date=dt.date(2026, 3, 2),
        painkiller_days=4,
        **intake_answers,
    )
    follow_up, _created = FollowUp.objects.update_or_create(
        episode=intake.episode,
        number=1,
        defaults={
            "due_at": NOW,
            "state": "answered",
            "answered_at": NOW,
            "answers": {
                "still_back_pain": True,
                "pain_now": 6,
                "global_change": "same",
                "painkillers_still": True,
            },
            "outcome": "persistent",
            "outcome_reasons": ["S-PAINKILLERS", "PAIN-GE-4"],
            "outcome_disposition": "GP_SOON",
            "pain_now": 6,
            "odi_percent": 38,
        },
    )
    return propose_referral(
        intake.episode,
        source="follow_up",
        reason="Follow-up 1: S-PAINKILLERS, PAIN-GE-4 · pain 6/10",
        by=None,
        follow_up=follow_up,
    )


def reason_of(referral: Referral) -> str:
    content = letter_content(referral)
    return " ".join(content.sections[2].paragraphs)


def test_the_reason_tells_course_scores_signs_and_painkillers_in_english():
    text = reason_of(referral_after_a_persistent_follow_up("en"))

    assert "At the six-week follow-up on 13/04/2026, the back pain had not improved enough" in text
    assert "Pain (0-10): 5/10 at the intake (02/03/2026); 6/10 at follow-up 1 (13/04/2026)." in text
    assert "Oswestry disability index: 24.0 % at the intake (02/03/2026); 38" in text
    assert "No warning signs at the intake." in text
    assert "New or worse since the intake: painkillers needed for more than 8 days." in text
    assert "Painkillers were needed on 4 days before the intake." in text
    assert "At the follow-up, painkillers were still needed." in text


def test_the_reason_never_shows_rule_codes():
    text = reason_of(referral_after_a_persistent_follow_up("en"))
    assert "S-PAINKILLERS" not in text and "PAIN-GE-4" not in text


def test_the_codes_stay_on_the_referral_for_staff():
    referral = referral_after_a_persistent_follow_up("nl")
    assert "S-PAINKILLERS" in referral.reason


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("nl", "Bij de opvolging na zes weken op 13/04/2026, was de rugpijn sinds de intake"),
        ("fr", "Au suivi à six semaines le 13/04/2026, le mal de dos ne s'était pas"),
    ],
)
def test_a_dutch_or_french_letter_gives_the_reason_in_its_language(language, words):
    referral = referral_after_a_persistent_follow_up(language)
    text = reason_of(referral)
    assert words in text
    for english in ("follow-up", "Painkillers", "warning signs", "catchment", " weeks"):
        assert english not in text


def test_warning_signs_at_the_intake_are_named_for_the_doctor():
    referral = referral_after_a_persistent_follow_up("en", cancer_history=True)
    text = reason_of(referral)
    assert "Warning signs at the intake: a history of cancer." in text


def test_a_physiotherapists_own_reason_is_quoted():
    from referrals.services import propose_referral

    intake = make_intake(PatientFactory(language="en"), intake_date=dt.date(2026, 3, 2))
    referral = propose_referral(
        intake.episode, source="physio", reason="Sciatica not settling", by=None
    )
    text = reason_of(referral)
    assert "Reason given by the physiotherapist: Sciatica not settling" in text


# --- the campus reason -------------------------------------------------------------------


def test_routing_keeps_the_values_of_its_reason():
    loads = [
        routing.CampusLoad("bornem", "Bornem", True, {"2880"}, 12, 10),
        routing.CampusLoad("rumst", "Rumst", True, {"2840"}, 4, 10),
    ]
    choice = routing.choose_campus(None, "1000", loads)
    assert choice.params == {"campus": "Rumst", "waits": [["Rumst", 0.4], ["Bornem", 1.2]]}
    assert routing.choose_campus(None, "2840", loads).params == {
        "campus": "Rumst",
        "postcode": "2840",
    }


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nl", "de kortste verwachte wachttijd"),
        ("fr", "semaines"),
    ],
)
def test_the_shortest_wait_reason_is_shown_in_the_readers_language(language, expected):
    referral = referral_after_a_persistent_follow_up("en")
    Referral.objects.filter(pk=referral.pk).update(
        campus_rule=routing.SHORTEST_WAIT,
        campus_reason="shortest expected wait: Rumst 0.4 weeks vs Bornem 1.2 weeks",
        campus_reason_params={"campus": "Rumst", "waits": [["Rumst", 0.4], ["Bornem", 1.2]]},
    )
    referral.refresh_from_db()
    with translation.override(language):
        text = referral.campus_reason_text()
    assert expected in text
    assert "weeks" not in text and " vs " not in text
    assert "Rumst" in text and "Bornem" in text
    if language == "fr":
        assert "0,4 semaines" in text
    else:
        assert "0,4 weken" in text
