"""Per-provider protection: backoff with jitter, a token-bucket rate limit, a circuit breaker."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field


def backoff_s(attempt: int, *, base_s: float, cap_s: float, rng: random.Random) -> float:
    """Exponential backoff after `attempt` failed tries, with jitter in [half, full]."""
    full = min(cap_s, base_s * 2 ** (attempt - 1))
    return full * rng.uniform(0.5, 1.0)


class RateLimit:
    """At most `per_s` calls a second on average, bursts up to `burst`; callers wait."""

    def __init__(self, per_s: float, burst: int | None = None) -> None:
        self._rate = per_s
        self._burst = float(burst or max(1, int(per_s)))
        self._tokens = self._burst
        self._at = time.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
                self._at = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self._rate)


@dataclass
class CircuitBreaker:
    """Opens after `threshold` transient failures in a row; while open, sends of its channel
    stay pending; after `cooldown_s` one trial send is let through (half-open), and another
    each `cooldown_s` while no trial has answered."""

    threshold: int = 5
    cooldown_s: float = 30.0
    failures: int = 0
    opened_at: float | None = None
    trial_at: float | None = field(default=None, repr=False)

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None

    def trial_due(self) -> bool:
        """Open, cooled down, and no trial in flight (or the last one never answered)."""
        if self.opened_at is None:
            return False
        now = time.monotonic()
        last = self.trial_at if self.trial_at is not None else self.opened_at
        return now - last >= self.cooldown_s

    def begin_trial(self) -> None:
        self.trial_at = time.monotonic()

    def succeeded(self) -> None:
        self.failures, self.opened_at, self.trial_at = 0, None, None

    def failed(self) -> None:
        self.failures += 1
        if self.failures >= self.threshold:
            self.opened_at, self.trial_at = time.monotonic(), None
