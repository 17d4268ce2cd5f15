import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.triage import (
    DISPOSITIONS,
    INTAKE_FIELDS,
    LANGUAGES,
    LEG_NUMBNESS_CHOICES,
    RADIATION_CHOICES,
    RED_FLAG_BOOLEAN_KEYS,
    RULE_VERSION,
    RULES,
    IntakeAnswers,
    TriageInputError,
    TriageResult,
    reason_text,
    triage,
    validate_answers,
)

BASE = {"age": 40, "duration_days": 3, "pain_now": 5}

# The table of clinical-rules.md section 2, in order.
SPEC_TABLE = [
    ("E-SADDLE", "EMERGENCY"),
    ("E-BLADDER", "EMERGENCY"),
    ("E-ERECTILE", "EMERGENCY"),
    ("E-WEAKNESS", "EMERGENCY"),
    ("E-NUMB-BOTH", "EMERGENCY"),
    ("E-TRAUMA", "EMERGENCY"),
    ("E-FEVER", "EMERGENCY"),
    ("U-WEIGHT", "GP_URGENT"),
    ("U-CANCER", "GP_URGENT"),
    ("U-NIGHT", "GP_URGENT"),
    ("U-UNWELL", "GP_URGENT"),
    ("U-CHILD", "GP_URGENT"),
    ("U-IMMUNE", "GP_URGENT"),
    ("U-FRACTURE", "GP_URGENT"),
    ("U-BILATERAL", "GP_URGENT"),
    ("S-RADICULAR", "GP_SOON"),
    ("S-DURATION", "GP_SOON"),
    ("S-AGE55", "GP_SOON"),
    ("S-PAINKILLERS", "GP_SOON"),
    ("S-INFLAM", "GP_SOON"),
]

# The smallest change to BASE that makes each rule, and only it, match.
TRIGGERS = {
    "E-SADDLE": {"saddle_numbness": True},
    "E-BLADDER": {"bladder_bowel": True},
    "E-ERECTILE": {"erectile_dysfunction": True},
    "E-WEAKNESS": {"leg_weakness": True},
    "E-NUMB-BOTH": {"leg_numbness": "both_legs"},
    "E-TRAUMA": {"trauma": True},
    "E-FEVER": {"fever": True},
    "U-WEIGHT": {"weight_loss": True},
    "U-CANCER": {"cancer_history": True},
    "U-NIGHT": {"night_pain": True},
    "U-UNWELL": {"unwell": True},
    "U-CHILD": {"age": 17},
    "U-IMMUNE": {"immunosuppressed": True},
    "U-FRACTURE": {"osteoporosis_or_steroids": True},
    "U-BILATERAL": {"radiation": "both_legs"},
    "S-RADICULAR": {"radiation": "below_knee"},
    "S-DURATION": {"duration_days": 21},
    "S-AGE55": {"age": 56, "duration_days": 14},
    "S-PAINKILLERS": {"painkiller_days": 9, "duration_days": 9},
    "S-INFLAM": {"inflammatory_signs": True},
}
S_TRIGGERS = {code: change for code, change in TRIGGERS.items() if code.startswith("S-")}
PREFIX_DISPOSITION = {"E": "EMERGENCY", "U": "GP_URGENT", "S": "GP_SOON"}


def test_the_rule_table_is_the_spec_table_in_order():
    assert [(rule.code, rule.disposition) for rule in RULES] == SPEC_TABLE


def test_dispositions_are_ordered_most_urgent_first():
    assert DISPOSITIONS == ("EMERGENCY", "GP_URGENT", "GP_SOON", "PHYSIO")


def test_it_sends_answers_without_any_flag_to_physio():
    assert triage(BASE) == TriageResult("PHYSIO", (), RULE_VERSION)


def test_it_stamps_the_rule_version():
    assert triage(BASE).rule_version == "2027.1"


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_each_rule_matches_alone_with_its_disposition(rule):
    assert triage(BASE | TRIGGERS[rule.code]) == TriageResult(rule.disposition, (rule.code,))


def test_numbness_in_one_leg_is_radicular():
    assert triage(BASE | {"leg_numbness": "one_leg"}).reasons == ("S-RADICULAR",)


def test_pain_to_the_thigh_is_not_radicular():
    assert triage(BASE | {"radiation": "buttock_thigh"}).disposition == "PHYSIO"


@pytest.mark.parametrize(
    ("age", "duration_days", "reasons"),
    [
        (55, 14, ()),
        (56, 13, ()),
        (56, 14, ("S-AGE55",)),
        (55, 20, ()),
        (55, 21, ("S-DURATION",)),
        (56, 21, ("S-DURATION", "S-AGE55")),
    ],
)
def test_age_and_duration_boundaries(age, duration_days, reasons):
    answers = BASE | {"age": age, "duration_days": duration_days}
    assert triage(answers).reasons == reasons


@pytest.mark.parametrize(("days", "reasons"), [(8, ()), (9, ("S-PAINKILLERS",))])
def test_painkiller_days_boundary(days, reasons):
    assert triage(BASE | {"duration_days": 10, "painkiller_days": days}).reasons == reasons


@pytest.mark.parametrize("days", [0, 5, 10])
def test_painkiller_days_may_equal_the_duration(days):
    assert triage(BASE | {"duration_days": days, "painkiller_days": days})


def test_more_painkiller_days_than_days_of_pain_is_an_input_error():
    with pytest.raises(TriageInputError) as caught:
        triage(BASE | {"duration_days": 5, "painkiller_days": 6})
    assert caught.value.errors == {"painkiller_days": "must not be more than duration_days"}


def test_the_painkiller_days_error_comes_with_the_other_bad_fields():
    with pytest.raises(TriageInputError) as caught:
        triage(BASE | {"duration_days": 5, "painkiller_days": 6, "fever": "yes"})
    assert set(caught.value.errors) == {"painkiller_days", "fever"}


def test_painkiller_days_are_not_compared_with_a_bad_duration():
    with pytest.raises(TriageInputError) as caught:
        triage(BASE | {"duration_days": -1, "painkiller_days": 6})
    assert set(caught.value.errors) == {"duration_days"}


def test_pain_into_both_legs_is_urgent_even_after_a_doctor_saw_it():
    answers = BASE | {"radiation": "both_legs", "seen_by_doctor": True}
    assert triage(answers) == TriageResult("GP_URGENT", ("U-BILATERAL",))


def test_pain_into_both_legs_is_not_also_radicular():
    assert triage(BASE | {"radiation": "both_legs"}).reasons == ("U-BILATERAL",)


def test_inflammatory_signs_are_left_to_the_doctor_who_saw_the_episode():
    answers = BASE | {"inflammatory_signs": True, "seen_by_doctor": True}
    assert triage(answers) == TriageResult("PHYSIO", ())


@pytest.mark.parametrize(("age", "reasons"), [(17, ("U-CHILD",)), (18, ()), (0, ("U-CHILD",))])
def test_child_age_boundary(age, reasons):
    assert triage(BASE | {"age": age}).reasons == reasons


def test_seen_by_doctor_suppresses_every_s_rule():
    all_s = {key: value for change in S_TRIGGERS.values() for key, value in change.items()}
    assert triage(BASE | all_s | {"seen_by_doctor": True}) == TriageResult("PHYSIO", ())


def test_seen_by_doctor_keeps_e_and_u_rules():
    answers = BASE | {"fever": True, "age": 17, "duration_days": 30, "seen_by_doctor": True}
    assert triage(answers) == TriageResult("EMERGENCY", ("E-FEVER", "U-CHILD"))


def test_it_returns_all_matching_reasons_in_table_order():
    answers = BASE | {
        "duration_days": 30,
        "weight_loss": True,
        "fever": True,
        "saddle_numbness": True,
    }
    assert triage(answers) == TriageResult(
        "EMERGENCY", ("E-SADDLE", "E-FEVER", "U-WEIGHT", "S-DURATION")
    )


def test_an_urgent_flag_wins_over_a_gp_soon_flag():
    answers = BASE | {"duration_days": 10, "painkiller_days": 10, "night_pain": True}
    assert triage(answers) == TriageResult("GP_URGENT", ("U-NIGHT", "S-PAINKILLERS"))


def test_validate_answers_fills_in_the_defaults():
    assert validate_answers(BASE) == IntakeAnswers(age=40, duration_days=3, pain_now=5)


def test_validated_answers_are_the_same_frozen_object_the_constructor_makes():
    # validate_answers builds the dataclass without its __init__ (speed): it must still
    # equal, hash like and be as read-only as one made the ordinary way.
    answers = {**BASE, "fever": True, "radiation": "below_knee"}
    validated = validate_answers(answers)
    ordinary = IntakeAnswers(**answers)
    assert validated == ordinary
    assert hash(validated) == hash(ordinary)
    assert type(validated) is IntakeAnswers
    with pytest.raises(dataclasses.FrozenInstanceError):
        validated.fever = False  # type: ignore[misc]


def test_intake_answers_default_to_no_flags():
    answers = validate_answers(BASE)
    assert (answers.seen_by_doctor, answers.radiation, answers.leg_numbness) == (
        False,
        "none",
        "none",
    )
    assert not any(getattr(answers, key) for key in RED_FLAG_BOOLEAN_KEYS)
    assert answers.painkiller_days == 0


def test_the_schema_covers_exactly_the_answer_fields():
    assert set(INTAKE_FIELDS) == {field.name for field in dataclasses.fields(IntakeAnswers)}


def test_it_rejects_unknown_keys():
    with pytest.raises(TriageInputError) as caught:
        triage(BASE | {"feverish": True})
    assert caught.value.errors == {"feverish": "unknown field"}


def test_it_names_every_missing_required_key():
    with pytest.raises(TriageInputError) as caught:
        triage({})
    assert caught.value.errors == {
        "age": "this field is required",
        "duration_days": "this field is required",
        "pain_now": "this field is required",
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("age", "40"),
        ("age", 40.0),
        ("age", None),
        ("age", -1),
        ("age", 121),
        ("duration_days", -1),
        ("pain_now", 11),
        ("painkiller_days", -1),
        ("radiation", "knee"),
        ("radiation", None),
        ("leg_numbness", "left_leg"),
        ("fever", "true"),
        ("fever", None),
        ("seen_by_doctor", "yes"),
    ],
)
def test_it_rejects_a_wrong_type_or_value(field, value):
    with pytest.raises(TriageInputError) as caught:
        triage(BASE | {field: value})
    assert set(caught.value.errors) == {field}


@pytest.mark.parametrize("value", [0, 1])
def test_a_boolean_answer_must_be_a_real_bool_not_0_or_1(value):
    with pytest.raises(TriageInputError) as caught:
        triage(BASE | {"saddle_numbness": value})
    assert caught.value.errors == {"saddle_numbness": "must be true or false"}


@pytest.mark.parametrize("value", [True, False])
def test_a_whole_number_answer_must_not_be_a_bool(value):
    with pytest.raises(TriageInputError) as caught:
        triage(BASE | {"pain_now": value})
    assert set(caught.value.errors) == {"pain_now"}


def test_it_accepts_the_range_ends():
    answers = {"age": 120, "duration_days": 0, "pain_now": 10, "painkiller_days": 0}
    assert triage(answers).disposition == "PHYSIO"


def test_it_reports_all_bad_fields_at_once():
    with pytest.raises(TriageInputError) as caught:
        triage({"age": "old", "pain_now": 3, "fever": 1, "colour": "red"})
    assert set(caught.value.errors) == {"age", "duration_days", "fever", "colour"}


def test_the_error_message_lists_every_bad_field():
    with pytest.raises(ValueError, match="age: .*fever: .*colour: unknown field"):
        triage({"age": "old", "duration_days": 1, "pain_now": 3, "fever": 1, "colour": "red"})


@pytest.mark.parametrize("answers", [[], "age=40", None, 40])
def test_it_rejects_answers_that_are_not_an_object(answers):
    with pytest.raises(TriageInputError) as caught:
        triage(answers)
    assert set(caught.value.errors) == {"__all__"}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_every_rule_has_a_reason_text_in_every_language(rule, language):
    assert len(reason_text(rule.code, language)) > 20


def test_reason_texts_differ_per_language():
    assert len({reason_text("E-SADDLE", language) for language in LANGUAGES}) == 3


def test_reason_text_rejects_an_unknown_code():
    with pytest.raises(ValueError, match="E-NOPE"):
        reason_text("E-NOPE", "nl")


def test_reason_text_rejects_an_unknown_language():
    with pytest.raises(ValueError, match="de"):
        reason_text("E-SADDLE", "de")


# --- properties -------------------------------------------------------------------------

BOOL_KEYS = ("seen_by_doctor", *RED_FLAG_BOOLEAN_KEYS, "inflammatory_signs")
valid_answers = st.fixed_dictionaries(
    {
        "age": st.integers(0, 120),
        "duration_days": st.integers(0, 60),
        "pain_now": st.integers(0, 10),
    },
    optional={
        **{key: st.booleans() for key in BOOL_KEYS},
        "radiation": st.sampled_from(RADIATION_CHOICES),
        "leg_numbness": st.sampled_from(LEG_NUMBNESS_CHOICES),
        "painkiller_days": st.integers(0, 30),
    },
).map(
    # Section 1: never more days on painkillers than days of pain (a map, not a filter:
    # no example is thrown away).
    lambda answers: (
        answers
        | {"painkiller_days": min(answers.get("painkiller_days", 0), answers["duration_days"])}
    )
)


def oracle_codes(answers):
    """The section-2 conditions, written out independently of the rule table."""
    a = {
        "seen_by_doctor": False,
        "radiation": "none",
        "leg_numbness": "none",
        "painkiller_days": 0,
        "inflammatory_signs": False,
        **{key: False for key in RED_FLAG_BOOLEAN_KEYS},
        **answers,
    }
    s_rules_apply = not a["seen_by_doctor"]
    matches = {
        "E-SADDLE": a["saddle_numbness"],
        "E-BLADDER": a["bladder_bowel"],
        "E-ERECTILE": a["erectile_dysfunction"],
        "E-WEAKNESS": a["leg_weakness"],
        "E-NUMB-BOTH": a["leg_numbness"] == "both_legs",
        "E-TRAUMA": a["trauma"],
        "E-FEVER": a["fever"],
        "U-WEIGHT": a["weight_loss"],
        "U-CANCER": a["cancer_history"],
        "U-NIGHT": a["night_pain"],
        "U-UNWELL": a["unwell"],
        "U-CHILD": a["age"] < 18,
        "U-IMMUNE": a["immunosuppressed"],
        "U-FRACTURE": a["osteoporosis_or_steroids"],
        "U-BILATERAL": a["radiation"] == "both_legs",
        "S-RADICULAR": s_rules_apply
        and (a["radiation"] == "below_knee" or a["leg_numbness"] == "one_leg"),
        "S-DURATION": s_rules_apply and a["duration_days"] >= 21,
        "S-AGE55": s_rules_apply and a["age"] > 55 and a["duration_days"] >= 14,
        "S-PAINKILLERS": s_rules_apply and a["painkiller_days"] > 8,
        "S-INFLAM": s_rules_apply and a["inflammatory_signs"],
    }
    return tuple(code for code, _ in SPEC_TABLE if matches[code])


def oracle_disposition(codes):
    for prefix in ("E", "U", "S"):
        if any(code.startswith(prefix + "-") for code in codes):
            return PREFIX_DISPOSITION[prefix]
    return "PHYSIO"


@given(valid_answers)
def test_property_reasons_are_exactly_the_matching_rules_in_table_order(answers):
    assert triage(answers).reasons == oracle_codes(answers)


@given(valid_answers)
def test_property_the_most_urgent_matching_disposition_wins(answers):
    result = triage(answers)
    assert result.disposition == oracle_disposition(result.reasons)
    assert result.disposition == oracle_disposition(oracle_codes(answers))


def bad_value_for(field):
    if field in BOOL_KEYS:
        return st.one_of(st.integers(), st.text(), st.none(), st.floats())
    if field in ("radiation", "leg_numbness"):
        choices = RADIATION_CHOICES if field == "radiation" else LEG_NUMBNESS_CHOICES
        return st.one_of(
            st.text().filter(lambda text: text not in choices), st.booleans(), st.none()
        )
    upper = {"age": 120, "pain_now": 10}.get(field)
    out_of_range = st.integers(max_value=-1)
    if upper is not None:
        out_of_range = st.one_of(out_of_range, st.integers(min_value=upper + 1))
    return st.one_of(out_of_range, st.booleans(), st.text(), st.none(), st.floats())


@st.composite
def corrupted_answers(draw):
    answers = dict(draw(valid_answers))
    bad_fields = draw(st.sets(st.sampled_from(list(INTAKE_FIELDS)), min_size=1, max_size=4))
    for field in bad_fields:
        answers[field] = draw(bad_value_for(field))
    unknown = draw(
        st.sets(st.text(min_size=1).filter(lambda key: key not in INTAKE_FIELDS), max_size=2)
    )
    for key in unknown:
        answers[key] = True
    missing = draw(st.sets(st.sampled_from(["age", "duration_days", "pain_now"]), max_size=2))
    for key in missing:
        answers.pop(key)
    return answers, bad_fields | unknown | missing


@given(corrupted_answers())
def test_property_invalid_input_raises_naming_exactly_the_bad_fields(case):
    answers, bad_fields = case
    with pytest.raises(ValueError) as caught:
        triage(answers)
    assert set(caught.value.errors) == bad_fields
    assert all(field in str(caught.value) for field in bad_fields)
