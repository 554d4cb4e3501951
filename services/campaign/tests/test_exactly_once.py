"""Property: whatever the interleaving of redelivered events, crashes before a commit, releases
and the clock, each trigger occurrence ends with exactly one outcome in the outbox (SQLite, the
service's real migrations, handlers and unit of work; no Kafka)."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reach_campaign.bootstrap import bootstrap
from reach_campaign.db.tables import DecisionRow
from reach_campaign.domain.gate import Caps
from reach_campaign.domain.model import CampaignSpec, OneMessageCampaign
from reach_campaign.handlers import campaigns as handle
from reach_campaign.handlers.decisions import release_all, release_due
from reach_campaign.handlers.triggers import segment_handlers
from reach_campaign.settings import CampaignSettings
from reach_contracts import SegmentEntered, SegmentMembershipChange, decode
from reach_runtime import migrations
from reach_runtime.clock import ManualClock
from reach_runtime.db import create_engine, outbox, session_factory
from reach_runtime.uow import UnitOfWorkFactory
from sqlalchemy import select

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
CLIENTS = ["C1", "C2", "C3"]
CAPS = Caps(client_day=5, client_week=10, channel_day=5)
GROUP = "campaign-test"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database with a service notice at once and a care send 30 minutes later."""
    path = tmp_path_factory.mktemp("exactly-once") / "template.db"
    url = f"sqlite+aiosqlite:///{path}"
    definition = bootstrap(CampaignSettings(reach_env="test", database_url=url))
    migrations.upgrade(definition.migrations, definition.metadata, url)
    asyncio.run(_campaigns(url))
    return path


async def _campaigns(url: str) -> None:
    engine = create_engine(url)
    uows = UnitOfWorkFactory(session_factory(engine), clock=ManualClock(NOW))
    message = OneMessageCampaign(
        name="at once", trigger_segment_id="SEG-X", channel="inapp", body="hi", holdout_percent=20
    )
    async with uows() as uow:
        first = await handle.create_message_campaign(uow=uow, actor="ann", message=message)
    async with uows() as uow:
        await handle.activate_campaign(uow=uow, actor="ann", campaign_id=first.id)
    async with uows() as uow:
        spec = (await handle.get_version(uow.session, first.id, 1)).spec
        scene = spec["scene"] | {"delay": {"minutes": 30}}
        later = CampaignSpec.model_validate(spec | {"name": "later", "scene": scene})
        second = await handle.create_campaign(uow=uow, actor="ann", spec=later)
    async with uows() as uow:
        await handle.activate_campaign(uow=uow, actor="ann", campaign_id=second.id)
    await engine.dispose()


def entry(client_id: str) -> SegmentEntered:
    return SegmentEntered(
        event_id=f"seg-X-{client_id}",
        occurred_at=NOW,
        client_id=client_id,
        payload=SegmentMembershipChange(segment_id="SEG-X", segment_name="x"),
    )


steps = st.lists(
    st.one_of(
        st.tuples(st.just("deliver"), st.sampled_from(CLIENTS), st.booleans()),
        st.tuples(st.just("release"), st.just(""), st.booleans()),
        st.tuples(st.just("tick"), st.just(""), st.booleans()),
    ),
    max_size=25,
)


async def _run(url: str, plan: list[tuple[str, str, bool]]) -> dict[str, list[str]]:
    engine = create_engine(url)
    clock = ManualClock(NOW)
    uows = UnitOfWorkFactory(session_factory(engine), clock=clock)
    on_entered = segment_handlers(CAPS)["segment.entered"]

    async def deliver(client_id: str, crash: bool) -> None:
        """As the consumer: claim the event id, handle it, commit (or crash before)."""
        async with uows() as uow:
            event = entry(client_id)
            if event.event_id in await uow.claim(GROUP, [event.event_id]):
                await on_entered(event, uow)
            if not crash:
                await uow.commit()

    async def release(crash: bool) -> None:
        async with uows() as uow:
            if not crash:
                await release_due(uow, CAPS)
                return
            due = await uow.session.scalars(
                select(DecisionRow).where(
                    DecisionRow.decision == "scheduled", DecisionRow.due_at <= clock.now()
                )
            )
            await release_all(uow, list(due), CAPS)  # then the process dies: no commit

    for action, client_id, flag in plan:
        if action == "deliver":
            await deliver(client_id, crash=flag)
        elif action == "release":
            await release(crash=flag)
        else:
            clock.advance(timedelta(minutes=20))
    for client_id in CLIENTS:  # the broker redelivers what was never committed
        await deliver(client_id, crash=False)
    clock.advance(timedelta(hours=1))
    await release(crash=False)

    outcomes: dict[str, list[str]] = defaultdict(list)  # every outbox row, repeats included
    async with engine.connect() as connection:
        for (value,) in await connection.execute(select(outbox.c.value)):
            event = decode("reach.outreach.v1", value)
            outcomes[event.payload.idempotency_key].append(event.event_type)
    await engine.dispose()
    return outcomes


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=steps)
def test_each_occurrence_has_exactly_one_outcome_whatever_the_interleaving(
    template: Path, tmp_path: Path, plan: list[tuple[str, str, bool]]
) -> None:
    path = tmp_path / f"{uuid.uuid4().hex}.db"
    shutil.copy(template, path)
    outcomes = asyncio.run(_run(f"sqlite+aiosqlite:///{path}", plan))
    assert len(outcomes) == 2 * len(CLIENTS)  # two campaigns, each client once
    assert all(len(events) == 1 for events in outcomes.values())
    kinds = {kind for events in outcomes.values() for kind in events}
    assert kinds <= {"outreach.requested", "outreach.held_out"}
