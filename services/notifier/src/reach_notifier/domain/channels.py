"""What a channel adapter is, seen from the notifier's rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Message:
    idempotency_key: str  # providers that de-duplicate are given it
    client_id: str
    address: str
    subject: str | None
    body: str


class ChannelError(Exception):
    """The provider refused or failed; `retryable` says whether trying again may help."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class ChannelAdapter(Protocol):
    contact_field: str  # which ContactRow field holds this channel's address

    async def send(self, message: Message) -> str:
        """Deliver one message; returns the provider's message id."""
        ...
