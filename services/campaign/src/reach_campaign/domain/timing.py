"""When an outreach may go: delays after an event, the next trading day, the send window.

Business time is Asia/Shanghai; every instant in and out is timezone-aware (stored as UTC).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import exchange_calendars as xc
import holidays
from croniter import croniter

from reach_campaign.domain.model import Delay, ScheduleScene, SendWindow

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


@lru_cache(maxsize=8)
def festivals(year: int) -> dict[date, str]:
    """The first day of each Chinese public holiday and festival of a year (元旦, 春节, 清明节,
    劳动节, 端午节, 中秋节, 国庆节 and 除夕), from the `holidays` library; days off in lieu skipped."""
    days: dict[date, str] = {}
    seen: set[str] = set()
    for day, name in sorted(holidays.China(years=year, language="zh_CN").items()):
        if "休息日" in name or "补假" in name or name in seen:
            continue
        seen.add(name)
        days[day] = name
    return days


def occasion(day: date, scene: ScheduleScene) -> str | None:
    """Whether a schedule fires on `day`: the occasion's name (a festival, else the date)."""
    if scene.days in ("every_day", "birthdays"):
        return day.isoformat()
    if scene.days == "weekdays":
        return day.isoformat() if day.weekday() < 5 else None
    if scene.days == "trading_days":
        return day.isoformat() if is_trading_day(day) else None
    if scene.days == "festivals":
        return festivals(day.year).get(day)
    return day.isoformat() if day in scene.dates else None


def birthdays_on(day: date) -> tuple[str, ...]:
    """The portrait birthdays (MM-DD) greeted on `day`: 29 February on 28 February in
    years without it, so that nobody's birthday is skipped."""
    today = day.strftime("%m-%d")
    leap = day.year % 4 == 0 and (day.year % 100 != 0 or day.year % 400 == 0)
    return (today, "02-29") if today == "02-28" and not leap else (today,)


def slot(day: date, scene: ScheduleScene) -> datetime:
    assert scene.at is not None  # day kinds need it (spec_errors)
    return datetime.combine(day, _clock(scene.at), SHANGHAI)


def cron_instants(expression: str, after: datetime, until: datetime) -> list[datetime]:
    """The instants of a cron expression (read in Asia/Shanghai) in (after, until], at most 100."""
    run = croniter(expression, after.astimezone(SHANGHAI))
    instants: list[datetime] = []
    while len(instants) < 100 and (instant := run.get_next(datetime)) <= until:
        instants.append(instant)
    return instants
