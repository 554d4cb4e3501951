"""Whether a channel may carry an outreach to a client, and the first channel in the
campaign's order that can."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from reach_notifier.domain.channels import ADDRESS_FIELD, CONSENT_CHANNEL


@dataclass(frozen=True)
class Script:
    """One channel's version of an outreach: the primary one or a fallback."""

    channel: str
    subject: str | None
    body: str
    script_version: str | None = None


def refusal(
    *,
    channel: str,
    purpose: str,
    addresses: Mapping[str, str | None],
    withdrawn: Mapping[tuple[str, str], str],
) -> str | None:
    """Why `channel` cannot carry this outreach, or None. Consent is assumed from account
    opening unless withdrawn; `withdrawn` maps (consent channel, purpose) to its source."""
    if channel == "wechat" and purpose == "marketing":
        return "wechat_marketing_forbidden"
    consent = CONSENT_CHANNEL[channel]
    if (consent, purpose) in withdrawn:
        return f"no_consent ({consent} {purpose} withdrawn via {withdrawn[consent, purpose]})"
    if not addresses.get(ADDRESS_FIELD[channel]):
        return f"no_contact ({ADDRESS_FIELD[channel]})"
    return None


def first_possible(
    scripts: Sequence[Script], refuse: Callable[[Script], str | None]
) -> tuple[Script | None, list[Script], list[str]]:
    """The first script whose channel is possible, the scripts after it, and why the ones
    before it were impossible."""
    reasons: list[str] = []
    for index, script in enumerate(scripts):
        reason = refuse(script)
        if reason is None:
            return script, list(scripts[index + 1 :]), reasons
        reasons.append(f"{script.channel}: {reason}")
    return None, [], reasons
