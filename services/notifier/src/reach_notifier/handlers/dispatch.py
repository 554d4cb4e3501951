"""Sending: claim a due send, check it once more, call its provider, record the outcome once.

Never twice: the send is committed as 'sending' (with a lease) before the provider is called,
and the outcome is committed after. A send whose lease ran out while 'sending' was
interrupted by a crash: it is sent again only where that cannot duplicate it (providers that
de-duplicate by the idempotency key, and the channels the notifier stores itself); otherwise
it becomes 'unknown' for a human to decide.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from opentelemetry import trace
from reach_runtime.telemetry import context_from_headers, tracer
from reach_runtime.uow import UnitOfWorkFactory
from sqlalchemy import select, update

from reach_notifier.db.tables import SendRow
from reach_notifier.domain.channels import (
    ADDRESS_FIELD,
    STORED_CHANNELS,
    ChannelAdapter,
    ChannelError,
    Message,
)
from reach_notifier.domain.policy import Script
from reach_notifier.domain.rendering import SmsStyle
from reach_notifier.domain.resilience import CircuitBreaker, RateLimit, backoff_s
from reach_notifier.handlers.checks import addresses_of, refusals_for
from reach_notifier.handlers.outcomes import mark_failed, mark_sent
from reach_notifier.handlers.routing import route
from reach_notifier.handlers.stored import store

log = logging.getLogger(__name__)
UNKNOWN_REASON = "interrupted while the provider was called; it may have the message"


@dataclass(frozen=True)
class DispatchPolicy:
    sms: SmsStyle = field(default_factory=SmsStyle)
    batch: int = 50
    concurrency: int = 20
    timeout_s: float = 10
    lease_s: float = 60
    max_attempts: int = 8
    retry_base_s: float = 2
    retry_cap_s: float = 300


@dataclass
class Provider:
    """One channel's adapter with its rate limit and circuit breaker."""

    adapter: ChannelAdapter
    limit: RateLimit
    breaker: CircuitBreaker = field(default_factory=CircuitBreaker)


class Dispatcher:
    def __init__(
        self,
        *,
        uows: UnitOfWorkFactory,
        providers: Mapping[str, Provider],
        policy: DispatchPolicy,
        rng: random.Random | None = None,
    ) -> None:
        self._uows, self._providers, self._policy = uows, providers, policy
        self._rng = rng or random.Random()
        self._in_flight: dict[str, asyncio.Future[None]] = {}

    def _replayable(self, channel: str) -> bool:
        provider = self._providers.get(channel)
        return channel in STORED_CHANNELS or (
            provider is not None and provider.adapter.accepts_idempotency_key
        )

    async def recover(self) -> int:
        """Sends whose lease ran out while 'sending': pending again where a resend cannot
        duplicate, 'unknown' elsewhere. Returns how many were recovered."""
        async with self._uows() as uow:
            now = uow.clock.now()
            rows = list(
                await uow.session.scalars(
                    select(SendRow).where(SendRow.status == "sending", SendRow.lease_until < now)
                )
            )
            for send in rows:
                send.lease_until = None
                if self._replayable(send.channel):
                    send.status, send.next_attempt_at = "pending", now
                else:
                    send.status, send.last_error = "unknown", UNKNOWN_REASON
                log.warning(
                    "recovered an interrupted send",
                    extra={"fields": {"key": send.idempotency_key, "status": send.status}},
                )
            await uow.commit()
        return len(rows)

    async def dispatch_due(self) -> int:
        """Start sending what is due, on channels whose breaker lets it through, without
        waiting for the sends (a slow provider holds only its own sends); returns how many
        were started."""
        free = self._policy.concurrency - len(self._in_flight)
        if free <= 0:
            return 0
        open_channels = [c for c, p in self._providers.items() if p.breaker.is_open]
        async with self._uows() as uow:
            due = (
                select(SendRow.idempotency_key)
                .where(
                    SendRow.status == "pending",
                    SendRow.next_attempt_at <= uow.clock.now(),
                    SendRow.idempotency_key.not_in(self._in_flight),
                )
                .order_by(SendRow.next_attempt_at)
            )
            keys = list(
                await uow.session.scalars(
                    due.where(SendRow.channel.not_in(open_channels)).limit(free)
                )
            )
            for channel in open_channels:  # half-open: one trial send after the cooldown
                if self._providers[channel].breaker.allows():
                    keys += list(
                        await uow.session.scalars(due.where(SendRow.channel == channel).limit(1))
                    )
        for key in keys:
            self._in_flight[key] = asyncio.ensure_future(self._send_one(key))
        return len(keys)

    async def drain(self) -> None:
        """Wait for the sends in flight."""
        await asyncio.gather(*self._in_flight.values(), return_exceptions=True)

    def cancel(self) -> None:
        """Stop the sends in flight; their leases hand them to the next dispatcher."""
        for task in self._in_flight.values():
            task.cancel()

    async def _send_one(self, key: str) -> None:
        try:
            await self._claim_and_send(key)
        except Exception:
            log.exception("send %s failed unexpectedly; its lease will recover it", key)
        finally:
            self._in_flight.pop(key, None)

    async def _claim_and_send(self, key: str) -> None:
        policy = self._policy
        async with self._uows() as uow:
            now = uow.clock.now()
            claimed = await uow.session.execute(
                update(SendRow)
                .where(SendRow.idempotency_key == key, SendRow.status == "pending")
                .values(
                    status="sending",
                    attempts=SendRow.attempts + 1,
                    lease_until=now + timedelta(seconds=policy.lease_s),
                )
            )
            if claimed.rowcount != 1:
                return  # another dispatcher has it
            send = await uow.session.get(SendRow, key)
            assert send is not None
            reason = (await refusals_for(uow, send.client_id, send.purpose))(
                Script(send.channel, send.subject, send.body)
            )
            if reason:  # consent withdrawn or address gone since intake: next channel, or none
                scripts = [Script(**f) for f in send.fallbacks]
                await route(
                    uow, send, scripts, sms=policy.sms, refused_before=[f"{send.channel}: {reason}"]
                )
                await uow.commit()
                return
            address = (await addresses_of(uow, send.client_id))[ADDRESS_FIELD[send.channel]]
            assert address is not None
            if send.channel in STORED_CHANNELS:
                mark_sent(uow, send, await store(uow, send, address))
                await uow.commit()
                return
            provider = self._providers.get(send.channel)
            if provider is None:
                mark_failed(uow, send, f"no provider configured for {send.channel}")
                await uow.commit()
                return
            message = Message(key, send.client_id, address, send.subject, send.body)
            attempts, trace_headers, channel = send.attempts, send.trace, send.channel
            await uow.commit()  # 'sending' is on record before the provider is called

        with tracer().start_as_current_span(
            f"send {channel}",
            context=context_from_headers([(k, v.encode()) for k, v in trace_headers]),
            kind=trace.SpanKind.PRODUCER,
        ):  # the delivery event carries the outreach's trace
            provider_id, error = await self._call(provider, message)
            await self._record(key, provider, attempts, provider_id, error)

    async def _record(
        self,
        key: str,
        provider: Provider,
        attempts: int,
        provider_id: str,
        error: ChannelError | None,
    ) -> None:
        policy = self._policy
        async with self._uows() as uow:
            send = await uow.session.get(SendRow, key)
            assert send is not None
            if send.status != "sending":
                log.error("send %s changed while its provider was called", key)
                return
            if error is None:
                mark_sent(uow, send, provider_id)
            elif error.ambiguous and not provider.adapter.accepts_idempotency_key:
                send.status, send.last_error, send.lease_until = "unknown", error.reason, None
            elif error.retryable and attempts < policy.max_attempts:
                delay = backoff_s(
                    attempts, base_s=policy.retry_base_s, cap_s=policy.retry_cap_s, rng=self._rng
                )
                send.status, send.last_error, send.lease_until = "pending", error.reason, None
                send.next_attempt_at = uow.clock.now() + timedelta(seconds=delay)
            else:
                mark_failed(uow, send, error.reason)
            await uow.commit()

    async def _call(self, provider: Provider, message: Message) -> tuple[str, ChannelError | None]:
        await provider.limit.acquire()
        try:
            provider_id = await asyncio.wait_for(
                provider.adapter.send(message), timeout=self._policy.timeout_s
            )
        except ChannelError as error:
            if error.retryable:
                provider.breaker.failed()
            else:
                provider.breaker.succeeded()  # it answered: the provider is up
            return "", error
        except TimeoutError:
            provider.breaker.failed()
            return "", ChannelError("provider timed out", retryable=True, ambiguous=True)
        provider.breaker.succeeded()
        return provider_id, None
