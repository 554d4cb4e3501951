"""Folding the same trades and logins in any order gives the same portrait."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from reach_profile.domain.portrait import Portrait, logged_in, next_version, trade_executed


@dataclass(frozen=True)
class Trade:
    at: datetime
    amount: Decimal


@dataclass(frozen=True)
class Login:
    at: datetime


instants = st.datetimes(
    min_value=datetime(2026, 1, 1),
    max_value=datetime(2027, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5))]),
)
events = st.lists(
    st.one_of(
        st.builds(Trade, at=instants, amount=st.decimals(min_value=0, max_value=10**9, places=2)),
        st.builds(Login, at=instants),
    ),
    max_size=30,
)


def fold(history: list[Trade | Login]) -> Portrait:
    p = Portrait(client_id="C1")
    for e in history:
        if isinstance(e, Trade):
            after = trade_executed(p, at=e.at, amount=e.amount)
        else:
            after = logged_in(p, at=e.at)
        p = next_version(p, after, at=e.at)
    return p


@given(history=events, data=st.data())
def test_folding_trades_and_logins_in_any_order_gives_the_same_portrait(
    history: list[Trade | Login], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(history))
    assert fold(shuffled) == fold(history)


@given(history=events)
def test_the_folded_counts_and_last_times_are_those_of_the_events(
    history: list[Trade | Login],
) -> None:
    p = fold(history)
    trades = [e for e in history if isinstance(e, Trade)]
    logins = [e for e in history if isinstance(e, Login)]
    assert p.trade_count == len(trades)
    assert p.trade_amount_total == sum((t.amount for t in trades), Decimal(0))
    assert p.login_count == len(logins)
    assert p.last_trade_at == max((t.at for t in trades), default=None)
    assert p.last_login_at == max((e.at for e in logins), default=None)
    assert p.version == len(history)
    assert p.as_of == max((e.at for e in history), default=None)
