import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from followups.outcome import (
    FOLLOW_UP_FIELDS,
    GLOBAL_CHANGE_CHOICES,
    OUTCOME_STATES,
    REASON_CODES,
    FollowUpAnswers,
    FollowUpInputError,
    Outcome,
    classify,
    validate_followup_answers,
)
from intake.triage import LEG_NUMBNESS_CHOICES, RED_FLAG_BOOLEAN_KEYS

IMPROVING = {"still_back_pain": True, "pain_now": 3, "global_change": "better"}
RECOVERED = {"still_back_pain": False, "pain_now": 0, "global_change": "much_better"}


def odi_sections(sum_of_ten):
    """Ten answered sections adding up to ``sum_of_ten`` (ODI = 2 × sum)."""
    sections = [0] * 10
    for index in range(sum_of_ten):
        sections[index % 10] += 1
    return sections


def test_outcome_states():
    assert OUTCOME_STATES == ("recovered", "improving", "persistent", "red_flag")


def test_it_classifies_a_red_flag_with_the_triage_disposition():
    outcome = classify(IMPROVING | {"bladder_bowel": True}, None, 1)
    assert outcome == Outcome("red_flag", ("E-BLADDER",), "EMERGENCY")


def test_a_red_flag_wins_over_recovery():
    assert classify(RECOVERED | {"fever": True}, None, 1).state == "red_flag"


def test_a_red_flag_wins_over_persistent_pain():
    answers = {"still_back_pain": True, "pain_now": 9, "global_change": "much_worse"}
    assert classify(answers | {"night_pain": True}, None, 2).state == "red_flag"


def test_a_red_flag_outcome_lists_every_matching_e_and_u_rule():
    answers = IMPROVING | {"weight_loss": True, "leg_numbness": "both_legs"}
    assert classify(answers, None, 1) == Outcome(
        "red_flag", ("E-NUMB-BOTH", "U-WEIGHT"), "EMERGENCY"
    )


def test_an_urgent_flag_alone_gives_gp_urgent():
    assert classify(IMPROVING | {"unwell": True}, None, 1).disposition == "GP_URGENT"


def test_numbness_in_one_leg_is_not_a_red_flag_at_follow_up():
    assert classify(IMPROVING | {"leg_numbness": "one_leg"}, None, 1).state == "improving"


def test_a_child_is_flagged_when_the_caller_passes_the_age():
    assert classify(IMPROVING | {"age": 17}, None, 1) == Outcome(
        "red_flag", ("U-CHILD",), "GP_URGENT"
    )


def test_an_adult_age_changes_nothing():
    assert classify(IMPROVING | {"age": 18}, None, 1).state == "improving"


def test_without_an_age_the_child_rule_is_not_evaluated():
    assert classify(IMPROVING | {"age": None}, None, 1).state == "improving"


def test_no_more_back_pain_is_recovered_whatever_else_was_answered():
    answers = {"still_back_pain": False, "pain_now": 8, "global_change": "worse"}
    assert classify(answers, None, 1) == Outcome("recovered", ("NO-BACK-PAIN",))


@pytest.mark.parametrize("change", ["better", "much_better"])
def test_low_pain_and_better_is_recovered(change):
    answers = {"still_back_pain": True, "pain_now": 2, "global_change": change}
    assert classify(answers, None, 1) == Outcome("recovered", ("LOW-PAIN-BETTER",))


def test_recovered_lists_both_recovery_reasons_when_both_hold():
    answers = {"still_back_pain": False, "pain_now": 1, "global_change": "better"}
    assert classify(answers, None, 1).reasons == ("NO-BACK-PAIN", "LOW-PAIN-BETTER")


def test_recovery_is_checked_before_the_odi():
    answers = {"still_back_pain": True, "pain_now": 2, "global_change": "better"}
    assert classify(answers | {"odi": odi_sections(25)}, None, 1).state == "recovered"


def test_low_pain_without_feeling_better_is_persistent():
    answers = {"still_back_pain": True, "pain_now": 2, "global_change": "same"}
    assert classify(answers, None, 1) == Outcome("persistent", ("NOT-BETTER",))


@pytest.mark.parametrize(("pain", "state"), [(3, "improving"), (4, "persistent")])
def test_pain_4_or_more_is_persistent(pain, state):
    assert classify(IMPROVING | {"pain_now": pain}, None, 1).state == state


def test_pain_4_gives_its_reason():
    assert classify(IMPROVING | {"pain_now": 4}, None, 1).reasons == ("PAIN-GE-4",)


@pytest.mark.parametrize("change", ["same", "worse", "much_worse"])
def test_not_feeling_better_is_persistent(change):
    outcome = classify(IMPROVING | {"global_change": change}, None, 1)
    assert outcome == Outcome("persistent", ("NOT-BETTER",))


@pytest.mark.parametrize(("odi_sum", "state"), [(14, "improving"), (15, "persistent")])
def test_odi_30_exactly_is_persistent(odi_sum, state):
    assert classify(IMPROVING | {"odi": odi_sections(odi_sum)}, None, 1).state == state


def test_odi_30_gives_its_reason():
    assert classify(IMPROVING | {"odi": odi_sections(15)}, None, 1).reasons == ("ODI-GE-30",)


def test_odi_counts_only_the_answered_sections():
    sections = [2, 2, 2, 2, 1, 1, 1, 1, None, None]  # 12 / 40 = 30.0 %
    assert classify(IMPROVING | {"odi": sections}, None, 1).state == "persistent"


def test_an_odi_with_too_few_answers_does_not_apply():
    sections = [5] * 7 + [None] * 3
    assert classify(IMPROVING | {"odi": sections}, None, 1).state == "improving"


def test_an_odi_of_null_means_not_asked():
    assert classify(IMPROVING | {"odi": None}, None, 1).state == "improving"


def test_persistent_lists_every_persistence_reason():
    answers = {"still_back_pain": True, "pain_now": 6, "global_change": "worse"}
    outcome = classify(answers | {"odi": odi_sections(30)}, None, 1)
    assert outcome.reasons == ("PAIN-GE-4", "NOT-BETTER", "ODI-GE-30")


def test_remaining_mild_pain_at_the_first_follow_up_is_improving():
    assert classify(IMPROVING, None, 1) == Outcome("improving", ("IMPROVING",))


@pytest.mark.parametrize("number", [2, 3])
def test_remaining_back_pain_at_a_later_follow_up_is_persistent(number):
    outcome = classify(IMPROVING, None, number)
    assert outcome == Outcome("persistent", ("SECOND-FOLLOW-UP-PAIN",))


def test_recovery_at_the_second_follow_up_is_still_recovered():
    assert classify(RECOVERED, None, 2).state == "recovered"


def test_low_pain_and_better_at_the_second_follow_up_is_recovered():
    answers = {"still_back_pain": True, "pain_now": 2, "global_change": "better"}
    assert classify(answers, None, 2).state == "recovered"


def test_it_adds_pain_mic_when_the_baseline_shows_a_minimal_important_change():
    assert classify(IMPROVING, 8, 1).reasons == ("IMPROVING", "PAIN-MIC")


def test_pain_mic_is_informational_and_keeps_the_state():
    answers = IMPROVING | {"pain_now": 5}
    assert classify(answers, 9, 1) == Outcome("persistent", ("PAIN-GE-4", "PAIN-MIC"))


def test_it_omits_pain_mic_below_the_minimal_important_change():
    assert classify(IMPROVING, 4, 1).reasons == ("IMPROVING",)


def test_it_omits_pain_mic_without_a_baseline():
    assert "PAIN-MIC" not in classify(IMPROVING | {"pain_now": 0}, None, 1).reasons


def test_a_red_flag_outcome_carries_only_rule_codes():
    assert classify(IMPROVING | {"trauma": True}, 9, 1).reasons == ("E-TRAUMA",)


def test_painkillers_still_does_not_change_the_outcome():
    assert classify(IMPROVING | {"painkillers_still": True}, None, 1).state == "improving"


def test_the_outcome_keeps_the_rule_version():
    assert classify(IMPROVING, None, 1).rule_version == "2026.1"


def test_validate_followup_answers_fills_in_the_defaults():
    answers = validate_followup_answers(IMPROVING)
    assert answers == FollowUpAnswers(still_back_pain=True, pain_now=3, global_change="better")


def test_validate_followup_answers_keeps_the_odi_as_a_tuple():
    answers = validate_followup_answers(IMPROVING | {"odi": [1] * 9 + [None]})
    assert answers.odi == (1,) * 9 + (None,)


def test_the_follow_up_schema_covers_exactly_the_answer_fields():
    assert set(FOLLOW_UP_FIELDS) == {field.name for field in dataclasses.fields(FollowUpAnswers)}


def test_it_names_every_missing_required_answer():
    with pytest.raises(FollowUpInputError) as caught:
        classify({}, None, 1)
    assert set(caught.value.errors) == {"still_back_pain", "pain_now", "global_change"}


@pytest.mark.parametrize("key", ["seen_by_doctor", "radiation", "duration_days", "colour"])
def test_it_rejects_keys_the_follow_up_does_not_ask(key):
    with pytest.raises(FollowUpInputError) as caught:
        classify(IMPROVING | {key: False}, None, 1)
    assert caught.value.errors == {key: "unknown field"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("still_back_pain", 1),
        ("still_back_pain", "yes"),
        ("pain_now", True),
        ("pain_now", 11),
        ("pain_now", "3"),
        ("global_change", "improved"),
        ("painkillers_still", 0),
        ("fever", None),
        ("leg_numbness", "left"),
        ("age", 17.0),
        ("age", 121),
        ("odi", [1] * 9),
        ("odi", [1] * 9 + [6]),
        ("odi", [1] * 9 + [True]),
        ("odi", "1111111111"),
    ],
)
def test_it_rejects_a_wrong_type_or_value(field, value):
    with pytest.raises(FollowUpInputError) as caught:
        classify(IMPROVING | {field: value}, None, 1)
    assert set(caught.value.errors) == {field}


def test_a_follow_up_input_error_is_a_value_error_listing_the_fields():
    with pytest.raises(ValueError, match="pain_now: .*fever: "):
        classify(IMPROVING | {"pain_now": 12, "fever": "no"}, None, 1)


@pytest.mark.parametrize("number", [0, -1, True, 1.0])
def test_it_rejects_a_bad_follow_up_number(number):
    with pytest.raises(ValueError, match="follow_up_number"):
        classify(IMPROVING, None, number)


@pytest.mark.parametrize("baseline", [11, -1, True, "5"])
def test_it_rejects_a_bad_baseline_pain(baseline):
    with pytest.raises(ValueError, match="baseline_pain"):
        classify(IMPROVING, baseline, 1)


# --- properties -------------------------------------------------------------------------

follow_up_answers = st.fixed_dictionaries(
    {
        "still_back_pain": st.booleans(),
        "pain_now": st.integers(0, 10),
        "global_change": st.sampled_from(GLOBAL_CHANGE_CHOICES),
    },
    optional={
        "odi": st.none() | st.lists(st.none() | st.integers(0, 5), min_size=10, max_size=10),
        "painkillers_still": st.booleans(),
        "leg_numbness": st.sampled_from(LEG_NUMBNESS_CHOICES),
        "age": st.none() | st.integers(0, 120),
        **{key: st.booleans() for key in RED_FLAG_BOOLEAN_KEYS},
    },
)
baselines = st.none() | st.integers(0, 10)


@given(follow_up_answers, baselines, st.integers(1, 4))
def test_property_a_disposition_comes_with_red_flags_only(answers, baseline, number):
    outcome = classify(answers, baseline, number)
    assert outcome.state in OUTCOME_STATES
    assert (outcome.state == "red_flag") == (outcome.disposition is not None)


@given(follow_up_answers, baselines, st.integers(1, 4))
def test_property_non_red_flag_reasons_are_outcome_codes(answers, baseline, number):
    outcome = classify(answers, baseline, number)
    if outcome.state != "red_flag":
        assert outcome.reasons and set(outcome.reasons) <= set(REASON_CODES)


@given(follow_up_answers, baselines, st.integers(2, 4))
def test_property_nothing_is_improving_after_the_first_follow_up(answers, baseline, number):
    assert classify(answers, baseline, number).state != "improving"
