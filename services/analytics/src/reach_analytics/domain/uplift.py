"""Conversion rates and uplift of a treated group against its holdout."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GroupResult:
    clients: int
    converted: int

    @property
    def rate(self) -> float | None:
        return self.converted / self.clients if self.clients else None


def uplift(treated: GroupResult, holdout: GroupResult) -> float | None:
    """Absolute uplift in conversion rate (treated minus holdout), when both are measured."""
    if treated.rate is None or holdout.rate is None:
        return None
    return treated.rate - holdout.rate
