import pytest

from intake.scores import (
    BOTHERSOMENESS_CHOICES,
    ODI_SECTIONS,
    START_BACK_ITEM_LABELS,
    START_BACK_ITEMS,
    StartBackScore,
    odi_band,
    odi_mic_reached,
    oswestry,
    pain_mic_reached,
    start_back,
)


def test_start_back_all_disagree_is_low_risk():
    assert start_back([0] * 8 + ["not_at_all"]) == StartBackScore(0, 0, "low")


def test_start_back_total_3_is_low_even_with_high_psychosocial_items():
    assert start_back([0, 0, 0, 0, 1, 1, 1, 0, "not_at_all"]) == StartBackScore(3, 3, "low")


def test_start_back_total_4_with_psychosocial_3_is_medium():
    assert start_back([1, 0, 0, 0, 1, 1, 1, 0, "slightly"]) == StartBackScore(4, 3, "medium")


def test_start_back_psychosocial_4_above_total_3_is_high():
    assert start_back([0, 0, 0, 0, 1, 1, 1, 0, "very_much"]) == StartBackScore(4, 4, "high")


def test_start_back_all_agree_scores_9_and_5():
    assert start_back([1] * 8 + ["extremely"]) == StartBackScore(9, 5, "high")


@pytest.mark.parametrize(
    ("answer", "score"),
    [
        ("not_at_all", 0),
        ("slightly", 0),
        ("moderately", 0),
        ("very_much", 1),
        ("extremely", 1),
    ],
)
def test_start_back_bothersomeness_scores_per_answer(answer, score):
    assert start_back([0] * 8 + [answer]).total == score


@pytest.mark.parametrize("scored", [0, 1, False, True])
def test_start_back_accepts_an_already_scored_bothersomeness(scored):
    assert start_back([0] * 8 + [scored]).total == int(scored)


def test_start_back_accepts_booleans_for_items_1_to_8():
    assert start_back([True] * 8 + [False]).total == 8


@pytest.mark.parametrize("bad", [2, -1, "1", None, 0.5, "agree"])
def test_start_back_rejects_a_bad_item_and_names_it(bad):
    items: list[object] = [0] * 8 + ["slightly"]
    items[2] = bad
    with pytest.raises(ValueError, match=r"item 3 \(walked_short_distances\)"):
        start_back(items)


def test_start_back_rejects_an_unknown_bothersomeness_answer():
    with pytest.raises(ValueError, match=r"item 9 \(bothersomeness\)"):
        start_back([0] * 8 + ["a_lot"])


@pytest.mark.parametrize("items", [[0] * 8, [0] * 10, "000000000"])
def test_start_back_needs_exactly_9_items(items):
    with pytest.raises(ValueError, match="exactly 9"):
        start_back(items)


def test_it_labels_every_start_back_item():
    assert set(START_BACK_ITEM_LABELS) == set(START_BACK_ITEMS)
    assert len(START_BACK_ITEMS) == 9
    assert BOTHERSOMENESS_CHOICES == (
        "not_at_all",
        "slightly",
        "moderately",
        "very_much",
        "extremely",
    )


def test_odi_sections_are_the_ten_standard_ones():
    assert ODI_SECTIONS == (
        "pain_intensity",
        "personal_care",
        "lifting",
        "walking",
        "sitting",
        "standing",
        "sleeping",
        "sex_life",
        "social_life",
        "travelling",
    )


def test_oswestry_all_answered_is_percent_of_50():
    assert oswestry([3] * 10) == 60.0


def test_oswestry_scores_over_the_answered_sections_only():
    assert oswestry([3] * 8 + [None, None]) == 60.0


def test_oswestry_rounds_to_one_decimal():
    assert oswestry([1, 1, 1, 1, 1, 2, 2, 2, 2, None]) == 28.9  # 13 / 45


def test_oswestry_with_fewer_than_8_answered_has_no_score():
    assert oswestry([5] * 7 + [None] * 3) is None


def test_oswestry_extremes():
    assert (oswestry([0] * 10), oswestry([5] * 10)) == (0.0, 100.0)


@pytest.mark.parametrize("bad", [6, -1, True, "3", 2.0])
def test_oswestry_rejects_a_bad_section_and_names_it(bad):
    sections: list[object] = [1] * 10
    sections[4] = bad
    with pytest.raises(ValueError, match="section sitting"):
        oswestry(sections)


@pytest.mark.parametrize("sections", [[1] * 9, [1] * 11, "1111111111"])
def test_oswestry_needs_exactly_10_sections(sections):
    with pytest.raises(ValueError, match="exactly 10"):
        oswestry(sections)


@pytest.mark.parametrize(
    ("percent", "band"),
    [
        (0, "minimal"),
        (20, "minimal"),
        (20.1, "moderate"),
        (40, "moderate"),
        (40.1, "severe"),
        (60, "severe"),
        (60.1, "crippling"),
        (80, "crippling"),
        (80.1, "bed_bound"),
        (100, "bed_bound"),
    ],
)
def test_odi_band_boundaries(percent, band):
    assert odi_band(percent) == band


@pytest.mark.parametrize("bad", [-0.1, 100.1, True, "20"])
def test_odi_band_rejects_a_value_outside_0_to_100(bad):
    with pytest.raises(ValueError, match="percent"):
        odi_band(bad)


@pytest.mark.parametrize(
    ("earlier", "now", "reached"),
    [
        (10, 7, True),  # 3 points and exactly 30 % (0.3 * 10 is not exactly 3.0 in floats)
        (10, 8, False),  # 2 points but only 20 %
        (7, 5, False),  # 2 points but 28.6 %
        (7, 4, True),  # 3 points and 43 %
        (6, 4, True),  # 2 points and 33 %
        (3, 2, False),  # 33 % but only 1 point (2026.1 counted this)
        (3, 1, True),  # 2 points and 67 %
        (2, 0, True),  # 2 points and 100 %
        (1, 0, False),  # 100 % but 1 point
        (0, 0, False),  # an earlier 0 can show no improvement
        (5, 7, False),
        (5, 5, False),
    ],
)
def test_pain_minimal_important_change_needs_points_and_percentage(earlier, now, reached):
    assert pain_mic_reached(earlier, now) is reached


@pytest.mark.parametrize(("baseline", "current"), [(11, 5), (5, -1), (True, 0), (5.0, 2)])
def test_pain_mic_rejects_bad_scores(baseline, current):
    with pytest.raises(ValueError, match="0 to 10"):
        pain_mic_reached(baseline, current)


@pytest.mark.parametrize(
    ("earlier", "now", "reached"),
    [
        (60, 42, True),  # 18 points and exactly 30 %
        (60, 50, False),  # 10 points but only 17 % (2026.1 counted this)
        (60, 42.1, False),  # 17.9 points, just under 30 %
        (30, 20, True),  # 10 points and 33 %
        (30, 20.1, False),  # 9.9 points, under 10 points
        (20, 14, False),  # exactly 30 % but only 6 points (2026.1 counted this)
        (20, 10, True),  # 10 points and 50 %
        (10, 0, True),  # 10 points and 100 %
        (9.9, 0, False),  # 100 % but under 10 points
        (0, 0, False),  # an earlier 0 can show no improvement
        (40, 45, False),
    ],
)
def test_odi_minimal_important_change_needs_points_and_percentage(earlier, now, reached):
    assert odi_mic_reached(earlier, now) is reached
