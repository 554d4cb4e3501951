"""The injected manual clock and the deterministic ids of emitted events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from reach_runtime.clock import ManualClock, SystemClock
from reach_runtime.ids import derived_id, derived_ids

BEIJING = timezone(timedelta(hours=8))
START = datetime(2026, 11, 23, 9, 30, tzinfo=BEIJING)


def test_a_manual_clock_stands_still_until_told_to_move() -> None:
    clock = ManualClock(START)
    assert clock.now() == clock.now() == START


def test_a_manual_clock_reports_utc_whatever_offset_it_started_with() -> None:
    now = ManualClock(START).now()
    assert now.tzinfo == UTC
    assert now == datetime(2026, 11, 23, 1, 30, tzinfo=UTC)


def test_advancing_a_manual_clock_moves_it_by_exactly_that_much() -> None:
    clock = ManualClock(START)
    clock.advance(timedelta(days=90, seconds=1))
    assert clock.now() - START == timedelta(days=90, seconds=1)


def test_setting_a_manual_clock_jumps_to_that_instant_in_utc() -> None:
    clock = ManualClock(START)
    clock.set(datetime(2027, 1, 1, 8, 0, tzinfo=BEIJING))
    assert clock.now() == datetime(2027, 1, 1, 0, 0, tzinfo=UTC)
    assert clock.now().tzinfo == UTC


def test_a_manual_clock_refuses_a_naive_start() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(datetime(2026, 11, 23, 9, 30))


def test_a_manual_clock_refuses_to_be_set_to_a_naive_instant() -> None:
    # Otherwise the instant is read in the machine's local zone, and tests depend on TZ.
    clock = ManualClock(START)
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.set(datetime(2027, 1, 1, 8, 0))


def test_the_system_clock_is_timezone_aware_utc() -> None:
    assert SystemClock().now().utcoffset() == timedelta(0)


def test_a_derived_id_is_the_same_for_the_same_parts() -> None:
    assert derived_id("prt", "C00012345", "42") == derived_id("prt", "C00012345", "42")


def test_a_derived_id_is_a_uuid() -> None:
    assert uuid.UUID(derived_id("evt-1")).version == 5


def test_derived_ids_differ_when_the_parts_differ() -> None:
    ids = {
        derived_id("a", "b"),
        derived_id("b", "a"),
        derived_id("ab"),
        derived_id("a", "b", ""),
        derived_id("a"),
        *(derived_id("evt", str(n)) for n in range(1000)),
    }
    assert len(ids) == 1005


@given(
    st.lists(st.text(), min_size=1, max_size=5),
    st.data(),
)
def test_derived_ids_with_one_part_open_equal_derived_id(parts: list[str], data) -> None:
    hole = data.draw(st.integers(0, len(parts) - 1))
    value = data.draw(st.text())
    open_parts = [None if i == hole else p for i, p in enumerate(parts)]
    full = [value if i == hole else p for i, p in enumerate(parts)]
    assert derived_ids(*open_parts)(value) == derived_id(*full)
