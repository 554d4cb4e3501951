"""Conversion rates and uplift of a treated group against its holdout."""

from __future__ import annotations

import pytest
from reach_analytics.domain.uplift import GroupResult, uplift


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
