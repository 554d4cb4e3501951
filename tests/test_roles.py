"""A service split into one process per role (as Helm runs it) behaves as the all-in-one process."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from reach_contracts import decode
from reach_runtime.stack import Broker, Stack
from reach_runtime.testing import eventually
from reach_sim import builders as make

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.system]


async def test_profile_runs_as_separate_migrate_api_consume_and_relay_processes(
    broker: Broker, postgres_url: str, tmp_path: Path
) -> None:
    env = {"KAFKA_TOPIC_PREFIX": broker.prefix}  # the relay process is woken by NOTIFY
    migrate = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "reach_profile", "migrate"],
        env={**env, "DATABASE_URL": postgres_url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stderr

    stack = Stack(
        kafka_bootstrap=broker.bootstrap,
        database_urls={"profile": postgres_url},
        log_dir=tmp_path,
        env=env | {"REACH_ENV": "test"},
    )
    for role in ("api", "consume", "relay"):
        stack.start("profile", role=role)
    try:
        await stack.wait_ready()
        trade = make.trade("C77", datetime.now(UTC), amount="2240", price="11.20", side="sell")
        await broker.publish("trading.trades.v1", trade)
        emitted = await broker.read("reach.portraits.v1", until=lambda r: len(r) >= 1)
        assert decode("reach.portraits.v1", emitted[0].value).payload.trade_count == 1

        async with httpx.AsyncClient() as http:

            async def portrait() -> dict | None:
                response = await http.get(f"{stack.url('profile:api')}/portraits/C77")
                return response.json() if response.status_code == 200 else None

            found = await eventually(portrait)
            assert found["trade_count"] == 1
            # the consume-only process serves no business API, only operations endpoints
            assert (
                await http.get(f"{stack.url('profile:consume')}/portraits/C77")
            ).status_code == 404
            assert (await http.get(f"{stack.url('profile:consume')}/healthz")).status_code == 200
    finally:
        stack.stop()
