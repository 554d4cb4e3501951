"""Sending: claim due sends, check them once more, call their providers, record the outcomes.

Never twice: a send is committed as 'sending' (with a lease) before its provider is called,
and its outcome is committed after. A send whose lease ran out while 'sending' was
interrupted by a crash: it is sent again only where that cannot duplicate it (providers that
de-duplicate by the idempotency key, and the channels the notifier stores itself); otherwise
it becomes 'unknown' for a person to decide.

Claims and outcomes are written a batch per transaction; provider calls run concurrently,
so a slow provider holds only its own sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from opentelemetry import trace
from reach_runtime.telemetry import context_from_headers, tracer
from reach_runtime.uow import UnitOfWork, UnitOfWorkFactory
from sqlalchemy import select, update

from reach_notifier.db.tables import SendRow
from reach_notifier.domain.channels import (
    ADDRESS_FIELD,
    STORED_CHANNELS,
    ChannelAdapter,
    ChannelError,
    Message,
)
from reach_notifier.domain.policy import Script, refusal
from reach_notifier.domain.rendering import SmsStyle
from reach_notifier.domain.resilience import CircuitBreaker, RateLimit, backoff_s
from reach_notifier.handlers.checks import addresses
from reach_notifier.handlers.known import Known
from reach_notifier.handlers.outcomes import mark_failed, mark_sent
from reach_notifier.handlers.routing import route
from reach_notifier.handlers.stored import store

log = logging.getLogger(__name__)
UNKNOWN_REASON = "interrupted while the provider was called; it may have the message"
RECOVER_EVERY_S = 1.0


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


@dataclass(frozen=True)
class _Call:
    message: Message
    provider: Provider
    attempts: int
    trace: list[Any]


@dataclass(frozen=True)
class _Outcome:
    call: _Call
    provider_id: str
    error: ChannelError | None


@contextlib.contextmanager
def _in_trace(headers: list[Any], name: str) -> Iterator[None]:
    """Events emitted inside carry the outreach's trace."""
    with tracer().start_as_current_span(
        name,
        context=context_from_headers([(k, v.encode()) for k, v in headers]),
        kind=trace.SpanKind.PRODUCER,
    ):
        yield


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
        self._outcomes: list[_Outcome] = []
        self._recovered_at = 0.0
        self.wake = asyncio.Event()  # set when a provider call finished

    async def pass_once(self) -> int:
        """Recover interrupted sends, record finished calls, start due ones; returns how much
        work it found (0: nothing to do until woken or polled)."""
        self.wake.clear()
        if time.monotonic() - self._recovered_at >= RECOVER_EVERY_S:
            await self.recover()
            self._recovered_at = time.monotonic()
        return await self.record_outcomes() + await self.dispatch_due()

    def cancel(self) -> None:
        """Stop the calls in flight; their leases hand them to the next dispatcher."""
        for task in self._in_flight.values():
            task.cancel()

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
            if rows:
                await uow.commit()
        return len(rows)

    async def dispatch_due(self) -> int:
        """Claim what is due on channels whose breaker lets it through, in one transaction,
        and start the provider calls; returns how many sends were claimed."""
        free = self._policy.concurrency - len(self._in_flight)
        if free <= 0:
            return 0
        open_channels = [c for c, p in self._providers.items() if p.breaker.is_open]
        async with self._uows() as uow:
            due = (
                select(SendRow.idempotency_key)
                .where(SendRow.status == "pending", SendRow.next_attempt_at <= uow.clock.now())
                .order_by(SendRow.next_attempt_at)
            )
            batch = min(free, self._policy.batch)
            keys = list(
                await uow.session.scalars(
                    due.where(SendRow.channel.not_in(open_channels)).limit(batch)
                )
            )
            for channel in open_channels:  # half-open: one trial send after the cooldown
                breaker = self._providers[channel].breaker
                if breaker.trial_due():
                    trial = list(
                        await uow.session.scalars(due.where(SendRow.channel == channel).limit(1))
                    )
                    if trial:
                        breaker.begin_trial()
                        keys += trial
            if not keys:
                return 0
            calls = await self._claim(uow, keys)
            await uow.commit()  # 'sending' is on record before any provider is called
        for call in calls:
            key = call.message.idempotency_key
            self._in_flight[key] = asyncio.ensure_future(self._call(call))
        return len(keys)

    async def _claim(self, uow: UnitOfWork, keys: list[str]) -> list[_Call]:
        """Move the sends to 'sending', check each once more, send the stored ones; returns
        the provider calls to make."""
        policy = self._policy
        now = uow.clock.now()
        claimed = await uow.session.scalars(
            update(SendRow)
            .where(SendRow.idempotency_key.in_(keys), SendRow.status == "pending")
            .values(
                status="sending",
                attempts=SendRow.attempts + 1,
                lease_until=now + timedelta(seconds=policy.lease_s),
            )
            .returning(SendRow.idempotency_key)
            .execution_options(synchronize_session=False)
        )
        claimed_keys = list(claimed)  # another dispatcher may have taken some
        if not claimed_keys:
            return []
        sends = list(
            await uow.session.scalars(
                select(SendRow).where(SendRow.idempotency_key.in_(claimed_keys))
            )
        )
        known = Known.of(uow)
        await known.load({send.client_id for send in sends})
        calls: list[_Call] = []
        for send in sends:
            where = addresses(send.client_id, await known.contact(send.client_id))
            reason = refusal(
                channel=send.channel,
                purpose=send.purpose,
                addresses=where,
                withdrawn=await known.withdrawn(send.client_id),
            )
            with _in_trace(send.trace, f"send {send.channel}"):
                if reason:  # consent withdrawn or address gone since intake: next channel
                    scripts = [Script(**f) for f in send.fallbacks]
                    refused = [f"{send.channel}: {reason}"]
                    await route(uow, send, scripts, sms=policy.sms, refused_before=refused)
                    continue
                address = where[ADDRESS_FIELD[send.channel]]
                assert address is not None
                if send.channel in STORED_CHANNELS:
                    mark_sent(uow, send, await store(uow, send, address))
                    continue
                provider = self._providers.get(send.channel)
                if provider is None:
                    mark_failed(uow, send, f"no provider configured for {send.channel}")
                    continue
            message = Message(
                send.idempotency_key, send.client_id, address, send.subject, send.body
            )
            calls.append(_Call(message, provider, send.attempts, send.trace))
        return calls

    async def _call(self, call: _Call) -> None:
        provider = call.provider
        try:
            await provider.limit.acquire()
            try:
                provider_id = await asyncio.wait_for(
                    provider.adapter.send(call.message), timeout=self._policy.timeout_s
                )
            except ChannelError as error:
                if error.retryable:
                    provider.breaker.failed()
                else:
                    provider.breaker.succeeded()  # it answered: the provider is up
                self._outcomes.append(_Outcome(call, "", error))
            except TimeoutError:
                provider.breaker.failed()
                lost = ChannelError("provider timed out", retryable=True, ambiguous=True)
                self._outcomes.append(_Outcome(call, "", lost))
            else:
                provider.breaker.succeeded()
                self._outcomes.append(_Outcome(call, provider_id, None))
        finally:
            self._in_flight.pop(call.message.idempotency_key, None)
            self.wake.set()

    async def record_outcomes(self) -> int:
        """Commit the finished calls' outcomes in one transaction; returns how many."""
        outcomes, self._outcomes = self._outcomes, []
        if not outcomes:
            return 0
        try:
            async with self._uows() as uow:
                keys = [o.call.message.idempotency_key for o in outcomes]
                sends = {
                    s.idempotency_key: s
                    for s in await uow.session.scalars(
                        select(SendRow).where(SendRow.idempotency_key.in_(keys))
                    )
                }
                for outcome in outcomes:
                    send = sends[outcome.call.message.idempotency_key]
                    if send.status != "sending":
                        log.error("send %s changed during its call", send.idempotency_key)
                        continue
                    with _in_trace(outcome.call.trace, f"sent {send.channel}"):
                        self._apply(uow, send, outcome)
                await uow.commit()
        except BaseException:
            self._outcomes[:0] = outcomes  # recorded at the next pass
            raise
        return len(outcomes)

    def _apply(self, uow: UnitOfWork, send: SendRow, outcome: _Outcome) -> None:
        policy, error = self._policy, outcome.error
        if error is None:
            mark_sent(uow, send, outcome.provider_id)
        elif error.ambiguous and not outcome.call.provider.adapter.accepts_idempotency_key:
            send.status, send.last_error, send.lease_until = "unknown", error.reason, None
        elif error.retryable and outcome.call.attempts < policy.max_attempts:
            delay = backoff_s(
                outcome.call.attempts,
                base_s=policy.retry_base_s,
                cap_s=policy.retry_cap_s,
                rng=self._rng,
            )
            send.status, send.last_error, send.lease_until = "pending", error.reason, None
            send.next_attempt_at = uow.clock.now() + timedelta(seconds=delay)
        else:
            mark_failed(uow, send, error.reason)
