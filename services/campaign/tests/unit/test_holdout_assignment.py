"""Holdout assignment: deterministic, order-free, proportional, and different per campaign."""

from __future__ import annotations

import random

import pytest
from reach_campaign.domain.assignment import BUCKETS, bucket, in_holdout

CLIENTS = [f"C{n:08d}" for n in range(20_000)]


def held_out(campaign_id: str, percent: float, clients: list[str] = CLIENTS) -> set[str]:
    return {c for c in clients if in_holdout(campaign_id, c, percent)}


def test_a_client_lands_on_the_same_side_every_time_it_is_asked() -> None:
    first = [in_holdout("CMP-1", c, 10) for c in CLIENTS[:2000]]
    again = [in_holdout("CMP-1", c, 10) for c in CLIENTS[:2000]]
    assert first == again
    assert bucket("CMP-1", "C00012345") == bucket("CMP-1", "C00012345")


def test_the_order_in_which_clients_arrive_does_not_change_who_is_held_out() -> None:
    shuffled = CLIENTS[:5000]
    random.Random(7).shuffle(shuffled)
    assert held_out("CMP-1", 10, shuffled) == held_out("CMP-1", 10, CLIENTS[:5000])


def test_buckets_stay_within_their_range() -> None:
    assert all(0 <= bucket("CMP-1", c) < BUCKETS for c in CLIENTS[:5000])


@pytest.mark.parametrize("percent", [10, 50, 2.5])
def test_the_holdout_is_close_to_the_requested_share_of_clients(percent: float) -> None:
    share = 100 * len(held_out("CMP-1", percent)) / len(CLIENTS)
    assert abs(share - percent) <= 1.5


def test_a_zero_percent_holdout_holds_out_nobody_and_a_full_one_everybody() -> None:
    assert held_out("CMP-1", 0) == set()
    assert held_out("CMP-1", 100) == set(CLIENTS)


def test_raising_the_holdout_share_only_adds_clients_to_it() -> None:
    assert held_out("CMP-1", 5) <= held_out("CMP-1", 10)


def test_different_campaigns_hold_out_different_clients() -> None:
    first, second = held_out("CMP-1", 10), held_out("CMP-2", 10)
    # Independent draws of 10% overlap in about 1% of clients, not in all 10%.
    assert len(first & second) < 0.3 * len(first)
