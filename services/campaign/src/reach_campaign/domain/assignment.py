"""Deterministic assignment of a client to the holdout group of a campaign."""

from __future__ import annotations

import hashlib

BUCKETS = 10_000


def bucket(campaign_id: str, client_id: str) -> int:
    """A stable number in [0, 10000) for this client in this campaign."""
    digest = hashlib.sha256(f"{campaign_id}\x1f{client_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def in_holdout(campaign_id: str, client_id: str, holdout_percent: float) -> bool:
    """The same client always lands on the same side, whatever the order of events."""
    return bucket(campaign_id, client_id) < round(holdout_percent * BUCKETS / 100)


def variant_index(campaign_id: str, client_id: str, weights: list[int]) -> int:
    """Which A/B variant a client gets, in proportion to the weights, the same every time."""
    point = bucket(f"{campaign_id}\x1fvariant", client_id) * sum(weights) // BUCKETS
    for index, weight in enumerate(weights):
        if point < weight:
            return index
        point -= weight
    return len(weights) - 1
