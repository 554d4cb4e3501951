"""Conversion paths: the order of each client's first steps and the median time between them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from reach_analytics.adapters.paths import paths_of

D = datetime(2026, 11, 1, tzinfo=UTC)


def h(hours: float) -> datetime:
    return D + timedelta(hours=hours)


def test_clients_are_grouped_by_the_order_of_their_steps_with_median_gaps() -> None:
    firsts = {
        "P1": {"wechat.followed": h(0), "app.registered": h(2), "first_trade": h(26)},
        "P2": {"wechat.followed": h(0), "app.registered": h(4), "first_trade": h(52)},
        "P3": {"wechat.followed": h(0), "app.registered": h(6), "first_trade": h(18)},
        "P4": {"app.registered": h(0), "wechat.followed": h(1)},
        "P5": {"first_trade": h(0)},
    }
    found = {p.steps: (p.clients, p.median_hours) for p in paths_of(firsts)}
    assert found == {
        ("wechat.followed", "app.registered", "first_trade"): (3, [4.0, 24.0]),
        ("app.registered", "wechat.followed"): (1, [1.0]),
        ("first_trade",): (1, []),
    }


def test_the_most_travelled_path_comes_first() -> None:
    firsts = {f"C{n}": {"first_trade": h(n)} for n in range(3)}
    firsts["W"] = {"wechat.followed": h(0), "first_trade": h(1)}
    assert paths_of(firsts)[0].steps == ("first_trade",)
