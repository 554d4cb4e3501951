"""Simulated time that every process reads the same way, from settings."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from reach_runtime.clock import ScaledClock, SystemClock
from reach_runtime.settings import ServiceSettings

START = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def test_a_scaled_clock_runs_speed_times_faster_than_the_wall() -> None:
    clock = ScaledClock(start=START, wall_start=time.time() - 2, speed=3600)
    assert clock.now() - START == pytest.approx(timedelta(hours=2), abs=timedelta(minutes=2))


def test_two_processes_with_the_same_anchor_read_the_same_simulated_now() -> None:
    anchor = time.time() - 10
    a = ScaledClock(start=START, wall_start=anchor, speed=60)
    b = ScaledClock(start=START, wall_start=anchor, speed=60)
    assert abs((a.now() - b.now()).total_seconds()) < 1


def test_the_wall_time_of_a_simulated_instant_inverts_now() -> None:
    clock = ScaledClock(start=START, wall_start=1_000.0, speed=120)
    assert clock.wall_time_of(START + timedelta(hours=1)) == pytest.approx(1_030.0)


def test_settings_give_the_system_clock_unless_a_simulated_start_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("CLOCK_START", "CLOCK_WALL_START", "CLOCK_SPEED"):
        monkeypatch.delenv(name, raising=False)
    assert isinstance(ServiceSettings().clock(), SystemClock)
    monkeypatch.setenv("CLOCK_START", "2026-11-23T09:30:00+08:00")
    monkeypatch.setenv("CLOCK_WALL_START", str(time.time()))
    monkeypatch.setenv("CLOCK_SPEED", "360")
    clock = ServiceSettings().clock()
    assert isinstance(clock, ScaledClock)
    assert clock.now() - datetime(2026, 11, 23, 1, 30, tzinfo=UTC) < timedelta(minutes=1)


def test_a_scaled_clock_refuses_a_naive_start_and_a_stopped_speed() -> None:
    with pytest.raises(ValueError):
        ScaledClock(start=datetime(2026, 11, 23), wall_start=0, speed=1)
    with pytest.raises(ValueError):
        ScaledClock(start=START, wall_start=0, speed=0)
