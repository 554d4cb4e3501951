"""The Shanghai Stock Exchange calendar: which days trade, and when within a day."""

from __future__ import annotations

import logging
import random
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import exchange_calendars as xc

log = logging.getLogger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")
SESSIONS = ((time(9, 30), time(11, 30)), (time(13, 0), time(15, 0)))
# Used only past the last year exchange-calendars has holidays for (it says so when it happens).
_FIXED_HOLIDAYS = {
    (1, 1),
    (5, 1),
    (5, 2),
    (5, 3),
    (10, 1),
    (10, 2),
    (10, 3),
    (10, 4),
    (10, 5),
    (10, 6),
    (10, 7),
}


@lru_cache(maxsize=1)
def _xshg() -> xc.ExchangeCalendar:
    return xc.get_calendar("XSHG")


def is_trading_day(day: date) -> bool:
    """A session of the Shanghai Stock Exchange (holidays from exchange-calendars' XSHG)."""
    calendar = _xshg()
    if calendar.first_session.date() <= day <= calendar.last_session.date():
        return bool(calendar.is_session(day.isoformat()))
    log.warning("XSHG holidays unknown for %s: weekdays less fixed national holidays", day)
    return day.weekday() < 5 and (day.month, day.day) not in _FIXED_HOLIDAYS


def trading_days(start: date, end: date) -> list[date]:
    """Sessions from start to end, both included."""
    days, day = [], start
    while day <= end:
        if is_trading_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def last_trading_day(now: datetime) -> date:
    """The latest session whose close (15:00 Shanghai) has passed."""
    local = now.astimezone(SHANGHAI)
    day = local.date() if local.time() >= time(15, 0) else local.date() - timedelta(days=1)
    while not is_trading_day(day):
        day -= timedelta(days=1)
    return day


def at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, SHANGHAI)


def trading_moment(rng: random.Random, day: date) -> datetime:
    """A moment of continuous trading, busier towards each session's end and the close."""
    start, end = SESSIONS[0] if rng.random() < 0.42 else SESSIONS[1]
    span = (datetime.combine(day, end) - datetime.combine(day, start)).seconds
    return at(day, start) + timedelta(seconds=int(span * rng.random() ** 0.7))


def evening_moment(rng: random.Random, day: date) -> datetime:
    """When people read their phones: 19:00–23:00."""
    return at(day, time(19, 0)) + timedelta(seconds=rng.randint(0, 4 * 3600 - 1))
