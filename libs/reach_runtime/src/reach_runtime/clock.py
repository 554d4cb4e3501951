"""Injected time: business rules never read the wall clock directly."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told; for tests and simulations."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware instant")
        self._now = instant.astimezone(UTC)


class ScaledClock:
    """Simulated time running `speed` times faster than the wall clock from an agreed anchor.

    Every process given the same (start, wall_start, speed) reads the same simulated now, so
    the simulator and the services can share a day that passes in a minute.
    """

    def __init__(self, *, start: datetime, wall_start: float, speed: float) -> None:
        if start.tzinfo is None:
            raise ValueError("ScaledClock needs a timezone-aware start")
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.start = start.astimezone(UTC)
        self.wall_start = wall_start
        self.speed = speed

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.time() - self.wall_start) * self.speed)

    def wall_time_of(self, instant: datetime) -> float:
        """The wall-clock time (epoch seconds) at which simulated time reaches `instant`."""
        return self.wall_start + (instant - self.start).total_seconds() / self.speed
