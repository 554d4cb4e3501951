"""The client-protection gate (DOMAIN.md "Client protection"), as pure rules.

Each check returns a `Stop` (the gate and a reason an auditor can read) or None. The trigger
engine, the release of stored sends and the dry run all call these same functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from reach_campaign.domain.model import Purpose

RISK_ORDER = ("C1", "C2", "C3", "C4", "C5")
# Which consent governs each channel (an advisor's call is consent to be phoned), as the notifier.
CONSENT_CHANNEL = {
    "sms": "sms",
    "email": "email",
    "wechat": "wechat",
    "push": "push",
    "inapp": "inapp",
    "advisor_task": "phone",
}


@dataclass(frozen=True)
class Stop:
    """Why an outreach may not go: which gate, and a reason in words."""

    gate: str
    reason: str


@dataclass(frozen=True)
class Item:
    """What the gate needs of a catalogue item."""

    id: str
    kind: str
    risk_level: str | None
    eligibility: Mapping[str, Any]


@dataclass(frozen=True)
class Caps:
    """Frequency caps on marketing and care (DOMAIN.md defaults: 1 a day and 3 a week across
    campaigns); per channel, at most `channel_day` a day; per campaign, the campaign's own."""

    client_day: int = 1
    client_week: int = 3
    channel_day: int = 1


def allowed_product_levels(portrait: Mapping[str, Any], today: date) -> tuple[int, str]:
    """The highest product risk level (0 = none) a client may be offered, and why."""
    level = portrait.get("risk_level")
    if portrait.get("professional_investor"):
        return 5, "professional investor"
    expires = portrait.get("risk_expires_on")
    if level is None:
        return 0, "no risk assessment"
    if expires is not None and date.fromisoformat(str(expires)) < today:
        return 0, f"risk assessment expired on {expires}"
    if portrait.get("lowest_category"):
        return 1, "lowest-category client (R1 only)"
    highest = RISK_ORDER.index(level) + 1
    return highest, f"risk level {level} allows R1-R{highest}"


def suitability(item: Item | None, portrait: Mapping[str, Any], today: date) -> Stop | None:
    """A rated item goes only to a client whose valid assessment allows its level."""
    if item is None or item.risk_level is None:
        return None  # care, reminders and research without a rating still go
    wanted = int(item.risk_level[1])
    highest, why = allowed_product_levels(portrait, today)
    if wanted <= highest:
        return None
    if highest == 0:
        return Stop("suitability", f"no product offers: {why}")
    return Stop("suitability", f"{item.id} is {item.risk_level}; {why}")


def eligibility(item: Item | None, portrait: Mapping[str, Any]) -> Stop | None:
    """The item's own conditions: minimum risk level, qualifications, assets, professionals."""
    if item is None:
        return None
    rules = item.eligibility
    least = rules.get("min_client_risk_level")
    level = portrait.get("risk_level")
    if least and (level is None or RISK_ORDER.index(level) < RISK_ORDER.index(least)):
        return Stop("eligibility", f"{item.id} needs risk level {least} or above, client {level}")
    for qualification in rules.get("qualifications") or ():
        if not portrait.get(f"{qualification}_eligible"):
            return Stop("eligibility", f"{item.id} needs the {qualification} qualification")
    floor = rules.get("min_total_assets")
    assets = portrait.get("total_assets")
    if floor is not None and (assets is None or Decimal(str(assets)) < Decimal(str(floor))):
        return Stop("eligibility", f"{item.id} needs total assets of {floor}, client {assets}")
    if rules.get("professional_only") and not portrait.get("professional_investor"):
        return Stop("eligibility", f"{item.id} is for professional investors only")
    return None


def contact_purpose(purpose: Purpose | str) -> str:
    """Care is sent under marketing consent; only service notices are service."""
    return "service" if purpose == Purpose.SERVICE else "marketing"


def consented_channels(
    channels: Sequence[str], purpose: Purpose | str, consents: Mapping[str, Any]
) -> tuple[list[str], list[str]]:
    """The campaign's channels the client has not withdrawn consent for (in order), and why the
    others are out. Consent is assumed from account opening unless withdrawn, as the notifier."""
    wanted = contact_purpose(purpose)
    open_, closed = [], []
    for channel in channels:
        key = f"{CONSENT_CHANNEL[channel]}/{wanted}"
        state = consents.get(key)
        if state is not None and not state.get("granted", True):
            closed.append(f"{key} withdrawn")
        else:
            open_.append(channel)
    return open_, closed


def consent(
    channels: Sequence[str], purpose: Purpose | str, consents: Mapping[str, Any]
) -> tuple[list[str], Stop | None]:
    """The channels that may carry the outreach; a stop when none may."""
    open_, closed = consented_channels(channels, purpose, consents)
    if open_:
        return open_, None
    return [], Stop("consent", "; ".join(closed))


@dataclass(frozen=True)
class Sent:
    """A marketing or care outreach already released to this client (for the caps)."""

    campaign_id: str
    channel: str
    at: datetime


def caps(
    *,
    purpose: Purpose | str,
    campaign_id: str,
    channel: str,
    at: datetime,
    local_day: date,
    day_of: Any,
    sent: Sequence[Sent],
    limits: Caps,
    campaign_limit: tuple[int, int],
) -> Stop | None:
    """Caps on marketing and care; service notices bypass them. `day_of` maps an instant to its
    Asia/Shanghai day; `campaign_limit` is (count, days) for this campaign per client."""
    if purpose == Purpose.SERVICE:
        return None
    today = [s for s in sent if day_of(s.at) == local_day]
    if len(today) >= limits.client_day:
        return Stop(
            "cap_client_day", f"{len(today)} marketing touch(es) today, cap {limits.client_day}"
        )
    week = [s for s in sent if at - timedelta(days=7) < s.at <= at]
    if len(week) >= limits.client_week:
        return Stop(
            "cap_client_week", f"{len(week)} marketing touches in 7 days, cap {limits.client_week}"
        )
    count, days = campaign_limit
    mine = [s for s in sent if s.campaign_id == campaign_id and at - timedelta(days=days) < s.at]
    if len(mine) >= count:
        return Stop("cap_campaign", f"{len(mine)} from this campaign in {days} days, cap {count}")
    on_channel = [s for s in today if s.channel == channel]
    if len(on_channel) >= limits.channel_day:
        return Stop(
            "cap_channel", f"{len(on_channel)} on {channel} today, cap {limits.channel_day}"
        )
    return None
