"""How simulated clients answer what Reach sends them, so measured uplift can be checked
against the uplift planted here.

A client who received a message converts (does the campaign's goal event within the hour: a
trade, a login, a deposit, a product purchase or an invitation, as the outreach's `goal_event`
says; a trade when it says nothing) with the chance set for its campaign and channel; a client
held out converts with the baseline chance only. So the planted uplift of a campaign on a
channel is `chance - baseline`.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import dataclass, field
from datetime import timedelta

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from reach_contracts import Event, decode, encode
from reach_runtime.clock import Clock

from reach_sim import builders as make
from reach_sim.output import topic_of

ANY = "*"


@dataclass(frozen=True)
class ResponseRates:
    """Chances to convert after a touch, by (campaign name, channel); '*' matches any."""

    chances: dict[tuple[str, str], float] = field(default_factory=lambda: {(ANY, ANY): 0.30})
    baseline: float = 0.05

    def chance(self, campaign: str, channel: str) -> float:
        for key in ((campaign, channel), (campaign, ANY), (ANY, channel), (ANY, ANY)):
            if key in self.chances:
                return self.chances[key]
        return self.baseline

    def planted_uplift(self, campaign: str, channel: str) -> float:
        return self.chance(campaign, channel) - self.baseline


class ResponseModel:
    """Pure: decides who converts, deterministically for a seed and an outreach."""

    def __init__(self, rates: ResponseRates, *, seed: int) -> None:
        self.rates = rates
        self.seed = seed
        self._campaigns: dict[str, str] = {}  # idempotency key -> campaign name
        self._goals: dict[str, str | None] = {}  # idempotency key -> the campaign's goal event
        self.touched = self.converted = self.held_out = self.held_out_converted = 0

    def _draw(self, key: str) -> float:
        return random.Random(f"response:{self.seed}:{key}").random()

    def react(self, event: Event, clock: Clock) -> list[Event]:
        """The client's answer to an outreach or delivery event (usually nothing)."""
        p = event.payload
        if event.event_type == "outreach.requested":
            self._campaigns[p.idempotency_key] = p.campaign_name
            self._goals[p.idempotency_key] = getattr(p, "goal_event", None)
            return []
        if event.event_type == "outreach.held_out":
            self.held_out += 1
            if self._draw(p.idempotency_key) < self.rates.baseline:
                self.held_out_converted += 1
                return [self._conversion(event, clock, getattr(p, "goal_event", None))]
            return []
        if event.event_type == "delivery.sent":
            self.touched += 1
            campaign = self._campaigns.get(p.idempotency_key, ANY)
            if self._draw(p.idempotency_key) < self.rates.chance(campaign, str(p.channel)):
                self.converted += 1
                return [self._conversion(event, clock, self._goals.get(p.idempotency_key))]
        return []

    def _conversion(self, cause: Event, clock: Clock, goal: str | None) -> Event:
        """The goal event of the campaign (a trade when it names none or one we cannot make)."""
        delay = timedelta(minutes=1 + self._draw("delay:" + cause.event_id) * 50)
        at, client, event_id = clock.now() + delay, cause.client_id, f"response-{cause.event_id}"
        if goal == "login.succeeded":
            return make.login(client, at, event_id=event_id)
        if goal == "funds.transferred":
            return make.transfer(client, at, direction="in", amount="20000", event_id=event_id)
        if goal == "product.purchased":
            return make.product_purchased(
                client, at, product_id="F006011", amount="50000", risk_level="R2", event_id=event_id
            )
        if goal == "referral.invited":
            return make.referral_invited(client, at, invitee_ref=f"R{client}", event_id=event_id)
        return make.trade(
            client,
            at,
            amount="12000",
            price="3.91",
            symbol="510300",
            instrument_type="etf",
            event_id=event_id,
        )


async def respond(model: ResponseModel, *, bootstrap: str, prefix: str, clock: Clock) -> None:
    """Read Reach's outreach and deliveries and publish the clients' reactions, until cancelled."""
    topics = [prefix + "reach.outreach.v1", prefix + "reach.deliveries.v1"]
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        group_id=f"{prefix}reach-sim-responses",
        enable_auto_commit=True,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await consumer.start()
    await producer.start()
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=500)
            # outreach first: a delivery names only the key, the outreach says which campaign
            records = sorted(
                (r for part in batches.values() for r in part),
                key=lambda r: not r.topic.endswith("reach.outreach.v1"),
            )
            for record in records:
                event = decode(record.topic.removeprefix(prefix), record.value)
                for reaction in model.react(event, clock):
                    await producer.send(
                        prefix + topic_of(reaction),
                        encode(reaction),
                        key=reaction.client_id.encode(),
                    )
    finally:
        with contextlib.suppress(Exception):
            await producer.stop()
        await consumer.stop()


def run_in_background(
    model: ResponseModel, *, bootstrap: str, prefix: str, clock: Clock
) -> asyncio.Task[None]:
    return asyncio.ensure_future(respond(model, bootstrap=bootstrap, prefix=prefix, clock=clock))
