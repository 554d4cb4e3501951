"""Conversion rates and uplift of a treated group against its holdout, with a 95% interval.

The interval of the absolute uplift (treated rate minus holdout rate) is Newcombe's hybrid score
interval (Newcombe 1998, method 10): each rate's Wilson score interval, combined. Unlike the
normal (Wald) approximation it stays inside [-1, 1] and behaves with rates near 0 or 1 and
small groups.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import sqrt

Z95 = 1.959963984540054  # the standard normal's 97.5th percentile
MIN_CLIENTS = 30  # per arm
MIN_OUTCOMES = 5  # conversions, and non-conversions, per arm


@dataclass(frozen=True)
class GroupResult:
    clients: int
    converted: int

    @property
    def rate(self) -> float | None:
        return self.converted / self.clients if self.clients else None


@dataclass(frozen=True)
class Comparison:
    """Treated against holdout: absolute and relative uplift, the interval, and whether the
    groups are too small to tell."""

    treated: GroupResult
    holdout: GroupResult
    absolute: float | None
    relative: float | None
    ci_low: float | None
    ci_high: float | None
    small_sample: bool


def uplift(treated: GroupResult, holdout: GroupResult) -> float | None:
    """Absolute uplift in conversion rate (treated minus holdout), when both are measured."""
    if treated.rate is None or holdout.rate is None:
        return None
    return treated.rate - holdout.rate


def relative_uplift(treated: GroupResult, holdout: GroupResult) -> float | None:
    """Uplift as a share of the holdout's rate; unknown when the holdout never converted."""
    if treated.rate is None or not holdout.rate:
        return None
    return (treated.rate - holdout.rate) / holdout.rate


def wilson(group: GroupResult, z: float = Z95) -> tuple[float, float] | None:
    """Wilson's score interval of a group's rate."""
    if not group.clients:
        return None
    n, p = group.clients, group.converted / group.clients
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z / denominator * sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe(treated: GroupResult, holdout: GroupResult) -> tuple[float, float] | None:
    """Newcombe's hybrid score interval of treated rate minus holdout rate."""
    a, b = wilson(treated), wilson(holdout)
    if a is None or b is None or treated.rate is None or holdout.rate is None:
        return None
    p1, p2 = treated.rate, holdout.rate
    d = p1 - p2
    low = d - sqrt((p1 - a[0]) ** 2 + (b[1] - p2) ** 2)
    high = d + sqrt((a[1] - p1) ** 2 + (p2 - b[0]) ** 2)
    return low, high


def small_sample(treated: GroupResult, holdout: GroupResult) -> bool:
    """Too small to tell: an arm under 30 clients, or under 5 conversions or non-conversions."""
    return any(
        g.clients < MIN_CLIENTS
        or g.converted < MIN_OUTCOMES
        or g.clients - g.converted < MIN_OUTCOMES
        for g in (treated, holdout)
    )


def compare(treated: GroupResult, holdout: GroupResult) -> Comparison:
    """Everything the uplift table shows for one row."""
    interval = newcombe(treated, holdout)
    return Comparison(
        treated=treated,
        holdout=holdout,
        absolute=uplift(treated, holdout),
        relative=relative_uplift(treated, holdout),
        ci_low=interval[0] if interval else None,
        ci_high=interval[1] if interval else None,
        small_sample=small_sample(treated, holdout),
    )
