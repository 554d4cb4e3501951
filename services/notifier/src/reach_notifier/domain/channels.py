"""Channels as the notifier's rules see them: addresses, consent, what an adapter promises."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

# Where each channel finds the client's address (a contacts column, or the client id itself).
ADDRESS_FIELD = {
    "sms": "phone",
    "email": "email",
    "wechat": "wechat_openid",
    "push": "client_id",
    "inapp": "client_id",
    "advisor_task": "advisor_id",
}
# Which consent governs each channel (an advisor's call is consent to be phoned).
CONSENT_CHANNEL = {
    "sms": "sms",
    "email": "email",
    "wechat": "wechat",
    "push": "push",
    "inapp": "inapp",
    "advisor_task": "phone",
}
# Channels the notifier stores itself, in the same transaction that marks the send sent.
STORED_CHANNELS = frozenset({"inapp", "advisor_task"})


@dataclass(frozen=True)
class Message:
    idempotency_key: str  # providers that de-duplicate are given it
    client_id: str
    address: str
    subject: str | None
    body: str


class ChannelError(Exception):
    """The provider refused or failed; `retryable` says whether trying again may help;
    `ambiguous` that the provider may have taken the message anyway (a lost answer)."""

    def __init__(self, reason: str, *, retryable: bool, ambiguous: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.ambiguous = ambiguous


class ChannelAdapter(Protocol):
    """An outside provider for one channel."""

    # True when the provider de-duplicates by the idempotency key it is given, so a send
    # interrupted by a crash may be sent again safely.
    accepts_idempotency_key: bool

    async def send(self, message: Message) -> str:
        """Deliver one message; returns the provider's message id."""
        ...
