"""One event carried through all five services, as real processes, over real Kafka and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from reach_contracts import decode
from reach_runtime.stack import SERVICES, Broker, Stack
from reach_runtime.testing import create_database, drop_database, eventually
from reach_sim import builders as make
from reach_sim.providers import SmtpSink

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.system]


@pytest.fixture
async def stack(broker: Broker, postgres_server: str, tmp_path: Path):
    urls = {name: await create_database(postgres_server) for name in SERVICES}
    with SmtpSink() as smtp:
        stack = Stack(
            kafka_bootstrap=broker.bootstrap,
            database_urls=urls,
            log_dir=tmp_path / "logs",
            env={
                "KAFKA_TOPIC_PREFIX": broker.prefix,
                "SMTP_PORT": str(smtp.port),
                "RELAY_POLL_INTERVAL_MS": "50",
                "LOG_LEVEL": "INFO",
            },
        )
        stack.start()
        try:
            await stack.wait_ready()
            yield stack, smtp
        finally:
            stack.stop()
            for url in urls.values():
                await drop_database(url)


async def test_a_trade_becomes_a_portrait_a_segment_entry_an_email_and_a_conversion(
    stack, broker
) -> None:
    stack, smtp = stack
    now = datetime.now(UTC)
    async with httpx.AsyncClient(timeout=10) as http:
        segment = (
            await http.post(
                f"{stack.url('segmenter')}/segments",
                json={
                    "name": "traded in the last day",
                    "rule": {"all": [{"field": "last_trade_at", "op": "within", "value": "1d"}]},
                },
            )
        ).json()
        campaign = (
            await http.post(
                f"{stack.url('campaign')}/campaigns",
                json={
                    "name": "first-trade thank you",
                    "trigger_segment_id": segment["id"],
                    "channel": "email",
                    "purpose": "service",
                    "subject": "Thank you",
                    "holdout_percent": 0,
                    "body": "Dear client {client_id}, thank you for trading with us ({segment}).",
                },
            )
        ).json()
        assert (
            await http.post(f"{stack.url('campaign')}/campaigns/{campaign['id']}/activate")
        ).status_code == 200

        await broker.publish(
            "accounts.events.v1",
            make.contact_changed(
                "C00012345", now - timedelta(minutes=5), email="client12345@example.com"
            ),
        )
        first = make.trade("C00012345", now - timedelta(minutes=1))
        upstream_trace_id = uuid.uuid4().hex  # as a traced upstream system would set it
        traceparent = f"00-{upstream_trace_id}-{uuid.uuid4().hex[:16]}-01"
        await broker.publish(
            "trading.trades.v1", first, headers=[("traceparent", traceparent.encode())]
        )

        mail = await eventually(lambda: smtp.received, timeout_s=90)
        assert len(mail) == 1
        assert mail[0].to == ["client12345@example.com"]
        assert (
            mail[0].body
            == "Dear client C00012345, thank you for trading with us (traded in the last day)."
        )

        portrait = (await http.get(f"{stack.url('profile')}/portraits/C00012345")).json()
        assert portrait["trade_count"] == 1
        members = (
            await http.get(f"{stack.url('segmenter')}/segments/{segment['id']}/members")
        ).json()
        assert [m["client_id"] for m in members] == ["C00012345"]

        deliveries = await broker.read("reach.deliveries.v1", until=lambda r: len(r) >= 1)
        sent = decode("reach.deliveries.v1", deliveries[0].value)
        assert sent.event_type == "delivery.sent"
        assert f"<{sent.payload.idempotency_key}@reach>" == mail[0].message_id
        traceparent = dict(deliveries[0].headers)["traceparent"].decode()
        assert traceparent.split("-")[1] == upstream_trace_id  # one trace across five services

        await broker.publish("trading.trades.v1", make.trade("C00012345", datetime.now(UTC)))

        async def converted() -> dict | None:
            response = await http.get(f"{stack.url('analytics')}/campaigns/{campaign['id']}")
            body = response.json() if response.status_code == 200 else None
            return body if body and body["treated"]["converted"] == 1 else None

        result = await eventually(converted, timeout_s=60)
        assert result is not None, "the second trade was not attributed"
        assert result["sent"] == 1
        assert result["treated"] == {"clients": 1, "converted": 1, "rate": 1.0}
    assert len(smtp.received) == 1  # the second trade re-entered no segment: nothing sent twice
