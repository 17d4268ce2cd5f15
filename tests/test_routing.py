import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from referrals.routing import CampusChoice, CampusLoad, choose_campus, expected_wait_weeks

BORNEM_CATCHMENT = frozenset({"2880", "2870", "2890", "1840", "9140", "9255"})
RUMST_CATCHMENT = frozenset({"2840", "2850", "2845", "2627", "2620", "2630", "2550", "2570"})


def bornem(**changes):
    fields = {
        "code": "bornem",
        "name": "Bornem",
        "accepting": True,
        "catchment": BORNEM_CATCHMENT,
        "open_referrals": 8,
        "weekly_capacity": 4,
    }
    return CampusLoad(**(fields | changes))


def rumst(**changes):
    fields = {
        "code": "rumst",
        "name": "Rumst",
        "accepting": True,
        "catchment": RUMST_CATCHMENT,
        "open_referrals": 5,
        "weekly_capacity": 5,
    }
    return CampusLoad(**(fields | changes))


def test_the_patients_preference_wins():
    choice = choose_campus("rumst", "2880", [bornem(), rumst()])
    assert choice == CampusChoice("rumst", "patient prefers Rumst", "preference")


def test_a_preference_for_a_campus_not_accepting_falls_through_to_the_catchment():
    choice = choose_campus("rumst", "2880", [bornem(), rumst(accepting=False)])
    assert choice == CampusChoice("bornem", "postcode 2880 is in the Bornem catchment", "catchment")


def test_an_unknown_preference_is_ignored():
    assert choose_campus("antwerpen", "2840", [bornem(), rumst()]).code == "rumst"


def test_the_catchment_of_the_postcode_decides_without_a_preference():
    choice = choose_campus(None, "2880", [rumst(), bornem()])
    assert choice == CampusChoice("bornem", "postcode 2880 is in the Bornem catchment", "catchment")


def test_the_postcode_is_matched_without_surrounding_spaces():
    assert choose_campus(None, " 2880 ", [rumst(), bornem()]).rule == "catchment"


def test_a_catchment_campus_not_accepting_falls_through_to_the_shortest_wait():
    choice = choose_campus(None, "2880", [bornem(accepting=False), rumst()])
    assert choice == CampusChoice(
        "rumst", "shortest expected wait: Rumst 1.0 weeks", "shortest_wait"
    )


def test_outside_every_catchment_the_shortest_expected_wait_wins():
    choice = choose_campus(None, "9000", [bornem(), rumst()])
    assert choice == CampusChoice(
        "rumst", "shortest expected wait: Rumst 1.0 weeks vs Bornem 2.0 weeks", "shortest_wait"
    )


def test_without_a_postcode_the_shortest_expected_wait_wins():
    assert choose_campus(None, None, [bornem(), rumst()]).rule == "shortest_wait"


def test_an_empty_postcode_never_matches_a_catchment():
    campuses = [bornem(catchment=frozenset({""})), rumst()]
    assert choose_campus(None, "", campuses).rule == "shortest_wait"


def test_equal_waits_are_decided_by_name():
    campuses = [rumst(open_referrals=8, weekly_capacity=4), bornem()]
    choice = choose_campus(None, "9000", campuses)
    assert choice == CampusChoice(
        "bornem", "shortest expected wait: Bornem 2.0 weeks vs Rumst 2.0 weeks", "shortest_wait"
    )


def test_a_campus_without_capacity_has_an_endless_wait():
    campuses = [bornem(open_referrals=0, weekly_capacity=0), rumst(open_referrals=50)]
    choice = choose_campus(None, "9000", campuses)
    assert choice == CampusChoice(
        "rumst",
        "shortest expected wait: Rumst 10.0 weeks vs Bornem no weekly capacity",
        "shortest_wait",
    )


def test_campuses_without_capacity_are_decided_by_name():
    campuses = [rumst(weekly_capacity=0), bornem(weekly_capacity=0)]
    assert choose_campus(None, "9000", campuses).code == "bornem"


def test_a_campus_not_accepting_is_never_chosen_for_its_short_wait():
    campuses = [bornem(), rumst(open_referrals=0, accepting=False)]
    assert choose_campus(None, "9000", campuses).code == "bornem"


def test_no_campus_accepting_gives_no_code():
    choice = choose_campus("rumst", "2840", [bornem(accepting=False), rumst(accepting=False)])
    assert choice == CampusChoice(None, "no campus is accepting referrals", "none")


def test_no_campuses_at_all_gives_no_code():
    assert choose_campus("rumst", "2840", []).code is None


def test_the_choice_keeps_the_rule_version():
    assert choose_campus(None, "2840", [rumst()]).rule_version == "2026.1"


@pytest.mark.parametrize(
    ("open_referrals", "capacity", "weeks"), [(8, 4, 2.0), (0, 4, 0.0), (1, 3, 1 / 3), (5, 0, None)]
)
def test_expected_wait_weeks(open_referrals, capacity, weeks):
    load = bornem(open_referrals=open_referrals, weekly_capacity=capacity)
    assert expected_wait_weeks(load) == weeks


def test_it_rejects_duplicate_campus_codes():
    with pytest.raises(ValueError, match="unique"):
        choose_campus(None, "2880", [bornem(), bornem(name="Bornem 2")])


@pytest.mark.parametrize("field", ["open_referrals", "weekly_capacity"])
def test_a_campus_load_rejects_negative_numbers(field):
    with pytest.raises(ValueError, match=field):
        bornem(**{field: -1})


def test_a_campus_load_rejects_a_catchment_string():
    with pytest.raises(ValueError, match="catchment"):
        bornem(catchment="2880, 2870")


# --- properties -------------------------------------------------------------------------

POSTCODES = ["2880", "2840", "9000", "1000"]


@st.composite
def campus_lists(draw):
    names = draw(st.lists(st.sampled_from("ABCDEF"), unique=True, max_size=6))
    return [
        CampusLoad(
            code=name.lower(),
            name=name,
            accepting=draw(st.booleans()),
            catchment=frozenset(draw(st.lists(st.sampled_from(POSTCODES)))),
            open_referrals=draw(st.integers(0, 40)),
            weekly_capacity=draw(st.integers(0, 10)),
        )
        for name in names
    ]


preferences = st.none() | st.sampled_from(["a", "b", "c", "z"])
postcodes = st.none() | st.sampled_from(POSTCODES)


@given(preferences, postcodes, campus_lists())
def test_property_the_chosen_campus_is_accepting(preference, postcode, campuses):
    choice = choose_campus(preference, postcode, campuses)
    accepting = {campus.code for campus in campuses if campus.accepting}
    assert choice.code is None or choice.code in accepting


@given(postcodes, campus_lists(), st.data())
def test_property_a_preference_for_an_accepting_campus_always_wins(postcode, campuses, data):
    accepting = [campus for campus in campuses if campus.accepting]
    assume(accepting)
    preferred = data.draw(st.sampled_from(accepting))
    choice = choose_campus(preferred.code, postcode, campuses)
    assert (choice.code, choice.rule) == (preferred.code, "preference")


@given(preferences, postcodes, campus_lists())
def test_property_no_code_exactly_when_no_campus_accepts(preference, postcode, campuses):
    choice = choose_campus(preference, postcode, campuses)
    assert (choice.code is None) == (not any(campus.accepting for campus in campuses))


@given(preferences, postcodes, campus_lists())
def test_property_the_campus_order_does_not_matter(preference, postcode, campuses):
    forwards = choose_campus(preference, postcode, campuses)
    assert choose_campus(preference, postcode, campuses[::-1]) == forwards
