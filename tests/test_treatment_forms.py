"""The session form's cross-field rules: the ODI as a percentage or from its sections (not
both, and from enough of them), and a next session after this one. The errors stand
beside the field they concern, and a refused form saves nothing."""

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from intake import scores
from tests.factories import make_episode_in_treatment
from treatment.forms import SessionForm
from treatment.models import TreatmentSession

pytestmark = pytest.mark.django_db

INTAKE_DAY = date(2026, 3, 2)
SESSION_DAY = INTAKE_DAY + timedelta(days=7)

BOTH = "Give either the percentage or the section scores, not both."
TOO_FEW = "Score at least 8 of the 10 sections to get an ODI."
NOT_AFTER = "The next session must be after this one."


@pytest.fixture(autouse=True)
def _on_the_session_day_in_english():  # type: ignore[no-untyped-def]
    with time_machine.travel(SESSION_DAY, tick=False), translation.override("en"):
        yield


@pytest.fixture
def episode(physio):  # type: ignore[no-untyped-def]
    return make_episode_in_treatment(physio, intake_date=INTAKE_DAY)


def session_data(*, sections: int = 0, **fields: str) -> dict[str, str]:
    """A valid session; ``sections``: how many ODI sections are scored (1 each)."""
    data = {
        "session_date": SESSION_DAY.isoformat(),
        "pain_now": "4",
        "work_done": "Mobilisation",
        **fields,
    }
    for name in scores.ODI_SECTIONS[:sections]:
        data[f"odi_{name}"] = "1"
    return data


def form(episode, **data: str) -> SessionForm:  # type: ignore[no-untyped-def]
    bound = SessionForm(data, episode=episode)
    bound.is_valid()
    return bound


def test_a_percentage_alone_or_eight_sections_alone_are_accepted(episode):
    by_percent = form(episode, **session_data(odi_percent="24"))
    assert by_percent.is_valid(), by_percent.errors
    assert by_percent.odi_sections() is None

    by_sections = form(episode, **session_data(sections=8))
    assert by_sections.is_valid(), by_sections.errors
    assert by_sections.odi_sections() == [1] * 8 + [None, None]


def test_a_percentage_and_section_scores_together_are_refused_on_the_percentage(episode):
    bound = form(episode, **session_data(sections=10, odi_percent="24"))

    assert not bound.is_valid()
    assert bound.errors == {"odi_percent": [BOTH]}


@pytest.mark.parametrize("scored", [1, 7])
def test_fewer_than_eight_sections_are_refused_with_the_count_needed(episode, scored):
    bound = form(episode, **session_data(sections=scored))

    assert not bound.is_valid()
    assert bound.errors == {"odi_percent": [TOO_FEW]}


@pytest.mark.parametrize("next_day", [SESSION_DAY, SESSION_DAY - timedelta(days=1)])
def test_the_next_session_must_come_after_this_one(episode, next_day):
    bound = form(episode, **session_data(next_session_on=next_day.isoformat()))

    assert not bound.is_valid()
    assert bound.errors == {"next_session_on": [NOT_AFTER]}


def test_every_cross_field_error_shows_at_once_beside_its_field(episode):
    bound = form(
        episode,
        **session_data(sections=3, next_session_on=SESSION_DAY.isoformat()),
    )

    assert bound.errors == {"odi_percent": [TOO_FEW], "next_session_on": [NOT_AFTER]}


def test_the_page_shows_the_odi_error_keeps_the_scores_and_saves_nothing(physio_client, episode):
    response = physio_client.post(
        reverse("treatment:session_new", args=[episode.pk]),
        session_data(sections=10, odi_percent="24", work_done="Walking advice"),
    )

    assert response.status_code == 200
    assert response.context["form"].errors["odi_percent"] == [BOTH]
    page = response.content.decode()
    assert BOTH in page
    assert "Walking advice" in page
    assert not TreatmentSession.objects.filter(episode=episode).exists()
