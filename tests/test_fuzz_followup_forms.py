"""Malformed input thrown at the follow-up forms: never a server error, never half-saved.

Same approach as ``test_fuzz_forms``: each example starts from a valid set of answers
and breaks some fields. Covered: the patient's questionnaire behind the e-mailed link
(``/q/<token>/``), reception's answers taken by phone, and the call result on the call
list. A rejected form is the form again (400 with errors, or for the call result the
call list with a message); then the follow-up is untouched and no alert, referral or
next follow-up was created.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from demo.followups import follow_up_answers
from followups.models import (
    AnswerChannel,
    CallResult,
    FollowUp,
    FollowUpState,
    QuestionnaireLink,
)
from intake.models import Alert
from referrals.models import Referral
from tests.test_followup_calls import on_call_list
from tests.test_followup_questionnaire import DUE, as_post, invite
from tests.test_fuzz_forms import FUZZ, GARBAGE, _mutate, _mutations

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

SNAPSHOT = (
    "state",
    "answers",
    "outcome",
    "outcome_reasons",
    "answered_at",
    "answered_via",
    "pain_now",
    "odi_percent",
    "call_attempts",
    "last_call_result",
    "call_note",
)


def _answers_data() -> dict[str, object]:
    return as_post(follow_up_answers(pain_now=6, odi=[2, 1, 2, 1, 2, 1, 1, 0, 1, None]))


ANSWER_FIELDS = list(_answers_data())
CALL_FIELDS = ["result", "note"]


def _snapshot(follow_up: FollowUp) -> tuple[object, ...]:
    row = FollowUp.objects.get(pk=follow_up.pk)
    return tuple(getattr(row, name) for name in SNAPSHOT)


def _counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (FollowUp, Alert, Referral))


@pytest.fixture
def on_day_two(time_machine):  # type: ignore[no-untyped-def]
    time_machine.move_to(DUE + timedelta(days=1, hours=3), tick=False)


def test_the_valid_answers_used_as_the_fuzzing_base_are_accepted(on_day_two, desk):
    follow_up, path = invite()
    assert Client().post(path, _answers_data()).status_code == 200
    assert FollowUp.objects.get(pk=follow_up.pk).state == FollowUpState.ANSWERED
    (by_phone,) = on_call_list()
    url = reverse("followups:phone_answers", args=[by_phone.pk])
    assert desk.post(url, _answers_data()).status_code == 302
    assert FollowUp.objects.get(pk=by_phone.pk).state == FollowUpState.ANSWERED


@FUZZ
@given(mutation=_mutations(ANSWER_FIELDS))
def test_the_questionnaire_link_survives_malformed_input(on_day_two, mutation):
    follow_up, path = invite()
    before, counts = _snapshot(follow_up), _counts()
    response = Client().post(path, _mutate(_answers_data(), mutation))
    assert response.status_code in (200, 400)
    row = FollowUp.objects.get(pk=follow_up.pk)
    if response.status_code == 400:
        assert response.context["form"].errors
        assert _snapshot(follow_up) == before
        assert _counts() == counts
        assert not QuestionnaireLink.objects.filter(follow_up=row, used_at__isnull=False).exists()
    else:
        assert row.state == FollowUpState.ANSWERED
        assert row.answered_via == AnswerChannel.LINK


@FUZZ
@given(mutation=_mutations(ANSWER_FIELDS))
def test_answers_by_phone_survive_malformed_input(desk, mutation):
    (follow_up,) = on_call_list()
    before, counts = _snapshot(follow_up), _counts()
    url = reverse("followups:phone_answers", args=[follow_up.pk])
    response = desk.post(url, _mutate(_answers_data(), mutation))
    assert response.status_code in (302, 400)
    if response.status_code == 400:
        assert response.context["form"].errors
        assert _snapshot(follow_up) == before
        assert _counts() == counts
    else:
        assert response.url == reverse("followups:result", args=[follow_up.pk])
        row = FollowUp.objects.get(pk=follow_up.pk)
        assert (row.state, row.answered_via) == (FollowUpState.ANSWERED, AnswerChannel.PHONE)


@FUZZ
@given(mutation=_mutations(CALL_FIELDS), result=st.sampled_from(CallResult.values) | GARBAGE)
def test_the_call_result_survives_malformed_input(desk, mutation, result):
    (follow_up,) = on_call_list()
    before, counts = _snapshot(follow_up), _counts()
    data = _mutate({"result": result, "note": "Voicemail"}, mutation)
    response = desk.post(reverse("followups:record_call", args=[follow_up.pk]), data)
    assert response.status_code == 302
    assert response.url == reverse("followups:call_list")
    assert _counts() == counts
    row = FollowUp.objects.get(pk=follow_up.pk)
    if row.call_attempts == 0:
        assert _snapshot(follow_up) == before
    else:
        assert row.call_attempts == 1
        assert row.last_call_result in CallResult.values
        assert len(row.call_note) <= 300
