"""The follow-up outcome, rule version 2027.1 (clinical-rules.md sections 4 and 6)."""

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from followups.outcome import (
    CONTEXT_FIELDS,
    FOLLOW_UP_FIELDS,
    GLOBAL_CHANGE_CHOICES,
    NEW_SIGN_KEYS,
    OUTCOME_STATES,
    REASON_CODES,
    WARNING_CODES,
    FollowUpAnswers,
    FollowUpContext,
    FollowUpInputError,
    Outcome,
    classify,
    validate_followup_answers,
)
from intake.scores import pain_mic_reached
from intake.triage import LEG_NUMBNESS_CHOICES, RADIATION_CHOICES

# Pain 5 at the intake; IMPROVING is 3 and better (2 points and 40 %: PAIN-MIC).
CONTEXT = {"age": 40, "baseline_pain": 5}
IMPROVING = {"still_back_pain": True, "pain_now": 3, "global_change": "better"}
RECOVERED = {"still_back_pain": False, "pain_now": 0, "global_change": "much_better"}
PERSISTENT = {"still_back_pain": True, "pain_now": 6, "global_change": "same"}
URGENCY = {"EMERGENCY": 0, "GP_URGENT": 1, "GP_SOON": 2, None: 3}


def odi_sections(sum_of_ten):
    """Ten answered sections adding up to ``sum_of_ten`` (ODI = 2 × sum)."""
    sections = [0] * 10
    for index in range(sum_of_ten):
        sections[index % 10] += 1
    return sections


def outcome(answers, context=None, number=1):
    return classify(answers, CONTEXT | (context or {}), number)


def test_outcome_states_and_field_order_are_the_stable_interface():
    assert OUTCOME_STATES == ("recovered", "improving", "persistent", "red_flag")
    assert [field.name for field in dataclasses.fields(Outcome)] == [
        "state",
        "course",
        "disposition",
        "reasons",
        "rule_version",
    ]


def test_the_outcome_keeps_the_rule_version():
    assert outcome(IMPROVING).rule_version == "2027.1"


# --- Marie: "no back pain" but pain 7 and the same ---------------------------------------


def test_no_back_pain_with_pain_7_is_read_as_pain_and_checked_by_phone():
    marie = {"still_back_pain": False, "pain_now": 7, "global_change": "same"}
    result = classify(marie, {"age": 52, "baseline_pain": 7}, 1)
    assert result.state == "persistent"
    assert result.reasons[0] == "CHECK-ANSWERS"


@pytest.mark.parametrize(("pain", "contradiction"), [(2, False), (3, True)])
def test_check_answers_boundary(pain, contradiction):
    answers = {"still_back_pain": False, "pain_now": pain, "global_change": "better"}
    assert ("CHECK-ANSWERS" in outcome(answers).reasons) is contradiction


def test_a_contradiction_is_never_recovered():
    answers = {"still_back_pain": False, "pain_now": 3, "global_change": "much_better"}
    assert outcome(answers, {"baseline_pain": 10}).course != "recovered"


# --- step A: recovered -------------------------------------------------------------------


def test_recovered_with_no_back_pain():
    assert outcome(RECOVERED) == Outcome(
        "recovered", "recovered", None, ("PAIN-MIC", "NO-BACK-PAIN"), "2027.1"
    )


@pytest.mark.parametrize(("pain", "course"), [(2, "recovered"), (3, "improving")])
def test_recovered_pain_boundary(pain, course):
    answers = {"still_back_pain": True, "pain_now": pain, "global_change": "better"}
    assert outcome(answers, {"baseline_pain": 6}).course == course


@pytest.mark.parametrize("change", ["same", "worse"])
def test_low_pain_still_there_and_not_better_is_not_recovered(change):
    answers = {"still_back_pain": True, "pain_now": 1, "global_change": change}
    assert outcome(answers).course != "recovered"


@pytest.mark.parametrize(("odi_sum", "course"), [(10, "recovered"), (11, "improving")])
def test_recovered_odi_boundary(odi_sum, course):
    answers = RECOVERED | {"odi": odi_sections(odi_sum)}  # ODI 20 % / 22 %
    assert outcome(answers).course == course


def test_painkillers_still_needed_is_not_recovered():
    result = outcome(RECOVERED | {"painkillers_still": True})
    assert result.course == "improving"
    assert result.state == "improving"
    assert result.disposition == "GP_SOON"
    assert result.reasons[0] == "S-PAINKILLERS"


# --- step A: persistent ------------------------------------------------------------------


@pytest.mark.parametrize("change", ["worse", "much_worse"])
def test_worse_is_persistent_whatever_the_pain(change):
    answers = {"still_back_pain": True, "pain_now": 3, "global_change": change}
    assert outcome(answers).course == "persistent"
    assert "WORSE" in outcome(answers).reasons


@pytest.mark.parametrize(("pain", "course"), [(2, "improving"), (3, "persistent")])
def test_the_same_with_pain_3_or_more_is_persistent(pain, course):
    answers = {"still_back_pain": True, "pain_now": pain, "global_change": "same"}
    assert outcome(answers, {"baseline_pain": 3}).course == course


@pytest.mark.parametrize(
    ("baseline", "pain", "course"),
    [
        (10, 4, "improving"),  # 6 points, 60 %: MIC reached
        (5, 4, "persistent"),  # 1 point: no MIC
        (10, 7, "improving"),  # 3 points and exactly 30 %: MIC reached
        (10, 8, "persistent"),  # 2 points but 20 %: no MIC (2026.1 counted it)
        (4, 3, "improving"),  # pain 3: the P ≥ 4 rule does not apply
    ],
)
def test_pain_4_or_more_without_the_minimal_important_change_is_persistent(baseline, pain, course):
    answers = {"still_back_pain": True, "pain_now": pain, "global_change": "better"}
    assert outcome(answers, {"baseline_pain": baseline}).course == course


@pytest.mark.parametrize(
    ("baseline_odi", "odi_sum", "course"),
    [
        (None, 14, "improving"),  # ODI 28 %
        (None, 15, "persistent"),  # ODI 30 %, no baseline: persistent alone
        (50.0, 15, "improving"),  # 50 → 30: 20 points and 40 %
        (40.0, 15, "persistent"),  # 40 → 30: 10 points but 25 %
        (38.0, 15, "persistent"),  # 38 → 30: 8 points
        (44.0, 15, "improving"),  # 44 → 30: 14 points and 31.8 %
    ],
)
def test_odi_30_or_more_without_the_minimal_important_change_is_persistent(
    baseline_odi, odi_sum, course
):
    answers = IMPROVING | {"odi": odi_sections(odi_sum)}
    context = {"baseline_pain": 6, "baseline_odi": baseline_odi}
    assert outcome(answers, context).course == course


@pytest.mark.parametrize(
    ("previous", "pain", "course"),
    [
        (6, 3, "improving"),  # 3 points, 50 % since the first follow-up
        (4, 3, "persistent"),  # 1 point: stalled
        (5, 3, "improving"),  # 2 points, 40 %
        (4, 2, "recovered"),  # pain 2 and better: the stalled rule needs 3 or more
    ],
)
def test_from_the_second_follow_up_a_stalled_improvement_is_persistent(previous, pain, course):
    answers = {"still_back_pain": True, "pain_now": pain, "global_change": "better"}
    context = {"baseline_pain": 8, "previous_pain": previous}
    assert outcome(answers, context, number=2).course == course


def test_the_stalled_rule_does_not_apply_at_the_first_follow_up():
    answers = {"still_back_pain": True, "pain_now": 3, "global_change": "better"}
    assert outcome(answers, {"baseline_pain": 4}, number=1).course == "improving"


def test_improving_at_the_first_follow_up():
    assert outcome(IMPROVING) == Outcome(
        "improving", "improving", None, ("PAIN-MIC", "IMPROVING"), "2027.1"
    )


# --- PAIN-MIC ----------------------------------------------------------------------------


@pytest.mark.parametrize(("baseline", "pain", "mic"), [(5, 3, True), (4, 3, False), (0, 0, False)])
def test_pain_mic_is_added_when_the_pain_reached_it_since_the_intake(baseline, pain, mic):
    answers = {"still_back_pain": True, "pain_now": pain, "global_change": "better"}
    assert ("PAIN-MIC" in outcome(answers, {"baseline_pain": baseline}).reasons) is mic


# --- step B: warning signs, each with and without its condition ---------------------------

SIGN_CODES = {
    "saddle_numbness": ("E-SADDLE", "EMERGENCY"),
    "bladder_bowel": ("E-BLADDER", "EMERGENCY"),
    "erectile_dysfunction": ("E-ERECTILE", "EMERGENCY"),
    "leg_weakness": ("E-WEAKNESS", "EMERGENCY"),
    "trauma": ("E-TRAUMA", "EMERGENCY"),
    "fever": ("E-FEVER", "EMERGENCY"),
    "weight_loss": ("U-WEIGHT", "GP_URGENT"),
    "night_pain": ("U-NIGHT", "GP_URGENT"),
    "unwell": ("U-UNWELL", "GP_URGENT"),
}


def test_the_warning_table_is_the_spec_table_in_order():
    assert WARNING_CODES == (
        "E-SADDLE",
        "E-BLADDER",
        "E-ERECTILE",
        "E-WEAKNESS",
        "E-TRAUMA",
        "E-FEVER",
        "E-NUMB-BOTH",
        "U-WEIGHT",
        "U-NIGHT",
        "U-UNWELL",
        "U-BILATERAL",
        "U-CANCER",
        "U-FRACTURE",
        "U-IMMUNE",
        "U-CHILD",
        "S-PAINKILLERS",
        "S-RADICULAR",
    )


@pytest.mark.parametrize("key", NEW_SIGN_KEYS)
def test_a_new_or_worse_sign_raises_a_red_flag_and_keeps_the_course(key):
    code, disposition = SIGN_CODES[key]
    result = outcome(IMPROVING | {key: True})
    assert result == Outcome(
        "red_flag", "improving", disposition, (code, "PAIN-MIC", "IMPROVING"), "2027.1"
    )
    assert outcome(IMPROVING | {key: False}).state == "improving"


@pytest.mark.parametrize(
    ("numbness", "codes"), [("both_legs", ("E-NUMB-BOTH",)), ("one_leg", ("S-RADICULAR",))]
)
def test_leg_numbness_new_or_worse(numbness, codes):
    result = outcome(IMPROVING | {"leg_numbness": numbness})
    assert tuple(code for code in result.reasons if code in WARNING_CODES) == codes


def test_pain_into_both_legs_now_is_urgent():
    result = outcome(IMPROVING | {"radiation": "both_legs"}, {"intake_radiation": "both_legs"})
    assert (result.state, result.disposition) == ("red_flag", "GP_URGENT")
    assert "U-BILATERAL" in result.reasons


@pytest.mark.parametrize(
    ("intake_radiation", "radicular"),
    [("none", True), ("buttock_thigh", True), ("below_knee", False), ("both_legs", False)],
)
def test_pain_below_the_knee_is_radicular_only_when_it_is_new(intake_radiation, radicular):
    context = {"intake_radiation": intake_radiation}
    result = outcome(IMPROVING | {"radiation": "below_knee"}, context)
    assert ("S-RADICULAR" in result.reasons) is radicular
    assert result.state == "improving"  # an S-code never changes the state


def test_a_cancer_history_patient_who_recovered_gets_no_alert():
    result = outcome(RECOVERED, {"cancer_history": True})
    assert (result.state, result.disposition) == ("recovered", None)


@pytest.mark.parametrize("course_answers", [IMPROVING, PERSISTENT])
def test_a_cancer_history_patient_not_recovered_is_urgent(course_answers):
    result = outcome(course_answers, {"cancer_history": True})
    assert result.state == "red_flag"
    assert "U-CANCER" in result.reasons


def test_new_cancer_since_the_intake_counts_like_a_history_of_cancer():
    assert "U-CANCER" in outcome(IMPROVING | {"new_cancer_or_steroids": True}).reasons
    assert outcome(RECOVERED | {"new_cancer_or_steroids": True}).state == "recovered"


@pytest.mark.parametrize(
    ("answers", "context", "fracture"),
    [
        (IMPROVING | {"pain_now": 6}, {"baseline_pain": 4}, True),  # 2 more than at intake
        (IMPROVING | {"pain_now": 5}, {"baseline_pain": 4}, False),  # 1 more
        (IMPROVING | {"global_change": "worse"}, {}, True),
        (IMPROVING, {}, False),
        # The earlier pain is the previous follow-up's when known.
        (IMPROVING | {"pain_now": 4}, {"baseline_pain": 8, "previous_pain": 2}, True),
        (IMPROVING | {"pain_now": 3}, {"baseline_pain": 8, "previous_pain": 2}, False),
    ],
)
def test_osteoporosis_or_steroids_is_urgent_when_the_pain_gets_worse(answers, context, fracture):
    for facts in ({"osteoporosis_or_steroids": True}, {}):
        extra = facts if facts else {}
        result = outcome(answers, context | extra, number=2 if "previous_pain" in context else 1)
        assert ("U-FRACTURE" in result.reasons) is (fracture and bool(facts))


def test_new_long_term_cortisone_counts_for_the_fracture_rule():
    result = outcome(IMPROVING | {"new_cancer_or_steroids": True, "global_change": "worse"})
    assert "U-FRACTURE" in result.reasons


@pytest.mark.parametrize(
    ("change", "immune"), [("worse", True), ("much_worse", True), ("same", False)]
)
def test_immunosuppression_is_urgent_only_when_worse(change, immune):
    answers = IMPROVING | {"global_change": change}
    assert ("U-IMMUNE" in outcome(answers, {"immunosuppressed": True}).reasons) is immune
    assert "U-IMMUNE" not in outcome(answers).reasons


@pytest.mark.parametrize(("age", "child"), [(17, True), (18, False), (0, True)])
def test_a_minor_not_recovered_is_sent_to_the_gp(age, child):
    result = outcome(IMPROVING, {"age": age})
    assert ("U-CHILD" in result.reasons) is child


def test_a_minor_who_recovered_is_not_flagged():
    assert outcome(RECOVERED, {"age": 15}).state == "recovered"


def test_trauma_at_intake_is_not_asked_again():
    # The intake's "pain started after a fall" is not an answer of the follow-up: only a
    # new accident since the intake is.
    with pytest.raises(FollowUpInputError):
        outcome(IMPROVING, {"trauma": True})


def test_all_matching_codes_in_order_then_the_course_codes():
    answers = PERSISTENT | {
        "weight_loss": True,
        "fever": True,
        "painkillers_still": True,
        "leg_numbness": "one_leg",
    }
    result = outcome(answers, {"baseline_pain": 6, "cancer_history": True})
    assert result == Outcome(
        "red_flag",
        "persistent",
        "EMERGENCY",
        (
            "E-FEVER",
            "U-WEIGHT",
            "U-CANCER",
            "S-PAINKILLERS",
            "S-RADICULAR",
            "SAME-PAIN-GE-3",
            "PAIN-GE-4-NO-MIC",
        ),
        "2027.1",
    )


def test_only_s_codes_keep_the_course_as_state_with_gp_soon():
    result = outcome(PERSISTENT | {"painkillers_still": True})
    assert (result.state, result.disposition) == ("persistent", "GP_SOON")


# --- input errors ------------------------------------------------------------------------


def test_validate_followup_answers_fills_in_the_defaults():
    answers = validate_followup_answers(IMPROVING)
    assert answers == FollowUpAnswers(still_back_pain=True, pain_now=3, global_change="better")


def test_the_schemas_cover_exactly_the_fields():
    assert set(FOLLOW_UP_FIELDS) == {field.name for field in dataclasses.fields(FollowUpAnswers)}
    assert set(CONTEXT_FIELDS) == {field.name for field in dataclasses.fields(FollowUpContext)}


def test_it_names_every_missing_required_answer_and_context_field():
    with pytest.raises(FollowUpInputError) as caught:
        classify({}, {}, 1)
    assert set(caught.value.errors) == {
        "still_back_pain",
        "pain_now",
        "global_change",
        "context.age",
        "context.baseline_pain",
    }


@pytest.mark.parametrize(
    "key", ["seen_by_doctor", "cancer_history", "age", "osteoporosis_or_steroids", "colour"]
)
def test_lifetime_facts_and_unknown_keys_are_not_answers(key):
    with pytest.raises(FollowUpInputError) as caught:
        outcome(IMPROVING | {key: False})
    assert caught.value.errors == {key: "unknown field"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("still_back_pain", 1),
        ("pain_now", True),
        ("pain_now", 11),
        ("global_change", "improved"),
        ("painkillers_still", 0),
        ("fever", None),
        ("leg_numbness", "left"),
        ("radiation", "knee"),
        ("new_cancer_or_steroids", "no"),
        ("odi", [1] * 9),
        ("odi", [1] * 9 + [6]),
        ("odi", "1111111111"),
    ],
)
def test_it_rejects_a_bad_answer(field, value):
    with pytest.raises(FollowUpInputError) as caught:
        outcome(IMPROVING | {field: value})
    assert set(caught.value.errors) == {field}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("age", 121),
        ("age", -1),
        ("age", 17.0),
        ("age", None),
        ("baseline_pain", 11),
        ("baseline_pain", None),
        ("baseline_pain", True),
        ("baseline_odi", 100.1),
        ("baseline_odi", "40"),
        ("previous_pain", -1),
        ("cancer_history", 1),
        ("immunosuppressed", None),
        ("osteoporosis_or_steroids", "yes"),
        ("intake_radiation", "knee"),
        ("colour", "red"),
    ],
)
def test_it_rejects_a_bad_context_field(field, value):
    with pytest.raises(FollowUpInputError) as caught:
        outcome(IMPROVING, {field: value})
    assert set(caught.value.errors) == {f"context.{field}"}


def test_a_context_that_is_not_a_mapping_is_an_error():
    with pytest.raises(ValueError, match="context"):
        classify(IMPROVING, None, 1)  # type: ignore[arg-type]


def test_bad_answers_and_context_are_named_together():
    with pytest.raises(ValueError, match="pain_now: .*context.age: "):
        classify(IMPROVING | {"pain_now": 12}, {"age": 200, "baseline_pain": 3}, 1)


@pytest.mark.parametrize("number", [0, -1, True, 1.0])
def test_it_rejects_a_bad_follow_up_number(number):
    with pytest.raises(ValueError, match="follow_up_number"):
        outcome(IMPROVING, number=number)


def test_context_defaults():
    assert outcome(IMPROVING).state == "improving"


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
        "radiation": st.sampled_from(RADIATION_CHOICES),
        "new_cancer_or_steroids": st.booleans(),
        **{key: st.booleans() for key in NEW_SIGN_KEYS},
    },
)
contexts = st.fixed_dictionaries(
    {"age": st.integers(0, 120), "baseline_pain": st.integers(0, 10)},
    optional={
        "baseline_odi": st.none() | st.floats(0, 100),
        "previous_pain": st.none() | st.integers(0, 10),
        "cancer_history": st.booleans(),
        "osteoporosis_or_steroids": st.booleans(),
        "immunosuppressed": st.booleans(),
        "intake_radiation": st.sampled_from(RADIATION_CHOICES),
    },
)
numbers = st.integers(1, 3)

# Each way of adding a warning sign: a yes, or a worse place on an ordered scale.
SIGN_ADDITIONS = [
    *((key, True) for key in (*NEW_SIGN_KEYS, "new_cancer_or_steroids", "painkillers_still")),
    ("leg_numbness", "one_leg"),
    ("leg_numbness", "both_legs"),
    ("radiation", "below_knee"),
    ("radiation", "both_legs"),
]
NUMBNESS_ORDER = {"none": 0, "one_leg": 1, "both_legs": 2}
RADIATION_ORDER = {"none": 0, "buttock_thigh": 1, "below_knee": 2, "both_legs": 3}


def _is_addition(answers, key, value):
    if key == "leg_numbness":
        return NUMBNESS_ORDER[value] > NUMBNESS_ORDER[answers.get(key, "none")]
    if key == "radiation":
        return RADIATION_ORDER[value] > RADIATION_ORDER[answers.get(key, "none")]
    return not answers.get(key, False)


@given(follow_up_answers, contexts, numbers, st.sampled_from(SIGN_ADDITIONS))
def test_property_adding_a_warning_sign_never_lowers_urgency(answers, context, number, sign):
    key, value = sign
    if not _is_addition(answers, key, value):
        return
    before = classify(answers, context, number)
    after = classify(answers | {key: value}, context, number)
    assert URGENCY[after.disposition] <= URGENCY[before.disposition]
    if before.state == "red_flag":
        assert after.state == "red_flag"


@given(follow_up_answers, contexts, numbers)
def test_property_pain_4_or_more_without_mic_is_never_recovered(answers, context, number):
    result = classify(answers, context, number)
    if answers["pain_now"] >= 4 and not pain_mic_reached(
        context["baseline_pain"], answers["pain_now"]
    ):
        assert result.course != "recovered"
        assert result.state != "recovered"


@given(follow_up_answers, contexts, numbers)
def test_property_a_red_flag_always_keeps_a_course(answers, context, number):
    result = classify(answers, context, number)
    assert result.course in ("recovered", "improving", "persistent")
    if result.state != "red_flag":
        assert result.state == result.course


@given(follow_up_answers, contexts, numbers)
def test_property_red_flag_exactly_when_an_e_or_u_code_matched(answers, context, number):
    result = classify(answers, context, number)
    urgent = [code for code in result.reasons if code[:2] in ("E-", "U-")]
    assert (result.state == "red_flag") == bool(urgent)
    assert set(result.reasons) <= set(REASON_CODES)
    if result.disposition is None:
        assert not [code for code in result.reasons if code in WARNING_CODES]
