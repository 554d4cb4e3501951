"""Conversion rates and uplift of a treated group against its holdout."""

from __future__ import annotations

import math

import pytest
from reach_analytics.domain.uplift import (
    GroupResult,
    compare,
    newcombe,
    relative_uplift,
    small_sample,
    uplift,
    wilson,
)


def test_the_rate_is_the_share_of_clients_who_converted() -> None:
    assert GroupResult(clients=200, converted=30).rate == pytest.approx(0.15)
    assert GroupResult(clients=5, converted=0).rate == 0


def test_a_group_with_no_clients_has_no_rate() -> None:
    assert GroupResult(clients=0, converted=0).rate is None


def test_uplift_is_the_treated_rate_minus_the_holdout_rate() -> None:
    treated, holdout = GroupResult(clients=900, converted=90), GroupResult(clients=100, converted=6)
    assert uplift(treated, holdout) == pytest.approx(0.04)


def test_uplift_is_negative_when_the_holdout_converts_better() -> None:
    assert uplift(GroupResult(100, 2), GroupResult(100, 5)) == pytest.approx(-0.03)


def test_uplift_is_zero_when_both_groups_convert_alike() -> None:
    assert uplift(GroupResult(100, 10), GroupResult(50, 5)) == 0


@pytest.mark.parametrize(
    ("treated", "holdout"),
    [
        (GroupResult(0, 0), GroupResult(100, 5)),
        (GroupResult(100, 5), GroupResult(0, 0)),
        (GroupResult(0, 0), GroupResult(0, 0)),
    ],
)
def test_uplift_is_unknown_when_either_group_is_empty(
    treated: GroupResult, holdout: GroupResult
) -> None:
    assert uplift(treated, holdout) is None


# Published values: Newcombe (1998), "Two-sided confidence intervals for the single proportion"
# (Wilson, 81/263) and "Interval estimation for the difference between independent proportions:
# comparison of eleven methods", Table II, method 10 (hybrid score, no continuity correction).
def test_the_wilson_interval_matches_newcombes_worked_example() -> None:
    low, high = wilson(GroupResult(clients=263, converted=81))
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)


@pytest.mark.parametrize(
    ("treated", "holdout", "expected"),
    [
        (GroupResult(70, 56), GroupResult(80, 48), (0.0524, 0.3339)),
        (GroupResult(10, 9), GroupResult(10, 3), (0.1705, 0.8090)),
        (GroupResult(10, 0), GroupResult(20, 0), (-0.1611, 0.2775)),
    ],
)
def test_the_uplift_interval_matches_newcombes_table(
    treated: GroupResult, holdout: GroupResult, expected: tuple[float, float]
) -> None:
    low, high = newcombe(treated, holdout)
    assert (round(low, 4), round(high, 4)) == expected


def test_the_interval_by_hand_for_a_campaign_sized_example() -> None:
    """90/900 against 6/100, worked by hand with z = 1.96 (Wilson per arm, then combined)."""
    z = 1.959963984540054
    l1, u1 = wilson(GroupResult(900, 90))
    l2, u2 = wilson(GroupResult(100, 6))
    # Wilson for 6/100: centre (0.06 + 0.019207) / 1.038415 = 0.076277, half-width
    # 1.887460 * sqrt(0.000564 + 0.000096) = 0.048491: 0.0278 to 0.1248
    centre = (0.06 + z * z / 200) / (1 + z * z / 100)
    half = z / (1 + z * z / 100) * math.sqrt(0.06 * 0.94 / 100 + z * z / 40000)
    assert (l2, u2) == (pytest.approx(centre - half), pytest.approx(centre + half))
    assert (round(l2, 4), round(u2, 4)) == (0.0278, 0.1248)
    low, high = newcombe(GroupResult(900, 90), GroupResult(100, 6))
    assert low == pytest.approx(0.04 - math.sqrt((0.1 - l1) ** 2 + (u2 - 0.06) ** 2))
    assert high == pytest.approx(0.04 + math.sqrt((u1 - 0.1) ** 2 + (0.06 - l2) ** 2))
    assert (round(low, 4), round(high, 4)) == (-0.0272, 0.0786)


def test_the_interval_holds_the_uplift_and_stays_within_minus_one_and_one() -> None:
    for treated, holdout in [((50, 50), (50, 0)), ((40, 3), (40, 1)), ((1000, 1), (30, 29))]:
        t, h = GroupResult(*treated), GroupResult(*holdout)
        low, high = newcombe(t, h)
        assert -1 <= low <= uplift(t, h) <= high <= 1


def test_no_interval_without_both_groups() -> None:
    assert newcombe(GroupResult(0, 0), GroupResult(100, 5)) is None
    assert wilson(GroupResult(0, 0)) is None


def test_relative_uplift_is_a_share_of_the_holdout_rate() -> None:
    assert relative_uplift(GroupResult(900, 90), GroupResult(100, 6)) == pytest.approx(2 / 3)
    assert relative_uplift(GroupResult(100, 5), GroupResult(100, 0)) is None


@pytest.mark.parametrize(
    ("treated", "holdout", "small"),
    [
        (GroupResult(900, 90), GroupResult(100, 6), False),
        (GroupResult(900, 90), GroupResult(29, 6), True),  # an arm under 30 clients
        (GroupResult(900, 90), GroupResult(100, 4), True),  # under 5 conversions
        (GroupResult(900, 896), GroupResult(100, 50), True),  # under 5 non-conversions
        (GroupResult(30, 5), GroupResult(30, 25), False),  # exactly at every bar
    ],
)
def test_a_sample_is_small_under_30_clients_or_5_of_either_outcome_in_an_arm(
    treated: GroupResult, holdout: GroupResult, small: bool
) -> None:
    assert small_sample(treated, holdout) is small
    assert compare(treated, holdout).small_sample is small
