"""When an outreach may go: delays after an event, the next trading day, the send window.

Business time is Asia/Shanghai; every instant in and out is timezone-aware (stored as UTC).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import exchange_calendars as xc

from reach_campaign.domain.model import Delay, SendWindow

log = logging.getLogger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def local_day(instant: datetime) -> date:
    """The Asia/Shanghai calendar day of an instant."""
    return instant.astimezone(SHANGHAI).date()


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def in_window(instant: datetime, window: SendWindow) -> bool:
    local = instant.astimezone(SHANGHAI).time()
    return _clock(window.start) <= local < _clock(window.end)


def next_opening(instant: datetime, window: SendWindow) -> datetime:
    """The instant itself when inside the window, else the window's next opening (never a drop)."""
    if in_window(instant, window):
        return instant
    local = instant.astimezone(SHANGHAI)
    opening = datetime.combine(local.date(), _clock(window.start), SHANGHAI)
    if local >= opening:
        opening += timedelta(days=1)
    return opening


@lru_cache(maxsize=1)
def _xshg() -> xc.ExchangeCalendar:
    return xc.get_calendar("XSHG")


def is_trading_day(day: date) -> bool:
    """A session of the Shanghai Stock Exchange; past the calendar's range, a weekday."""
    calendar = _xshg()
    if calendar.first_session.date() <= day <= calendar.last_session.date():
        return bool(calendar.is_session(day.isoformat()))
    log.warning("XSHG sessions unknown for %s: counting weekdays", day)
    return day.weekday() < 5


def next_trading_day(after: date) -> date:
    day = after + timedelta(days=1)
    while not is_trading_day(day):
        day += timedelta(days=1)
    return day


def due_after(occurred: datetime, delay: Delay) -> datetime:
    """When a delayed outreach falls due: `minutes` after the event, or the next trading day
    (after the event's Shanghai day) at `next_trading_day_at`."""
    if delay.next_trading_day_at is not None:
        day = next_trading_day(local_day(occurred))
        return datetime.combine(day, _clock(delay.next_trading_day_at), SHANGHAI)
    return occurred + timedelta(minutes=delay.minutes)
