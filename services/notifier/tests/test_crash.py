"""kill -9 between the provider call and the commit, then restart: at most one message per
outreach reaches the client, on every channel."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from reach_runtime.stack import Broker, Stack
from reach_runtime.testing import eventually
from reach_sim import builders as make

from .conftest import NOW, SECRET, Providers, deliveries, outreach

pytestmark = pytest.mark.kafka
PHONE = "+8613800138000"


async def _processed(http: httpx.AsyncClient, topic: str) -> bool:
    """The service has handled an event of `topic` (its Prometheus counter says so)."""
    metrics = (await http.get("/metrics")).text
    return any(
        line.startswith("reach_events_processed_total") and f'topic="{topic}"' in line
        for line in metrics.splitlines()
    )


async def test_a_crash_after_the_provider_took_a_send_never_sends_it_twice(
    database_url: str, broker: Broker, providers: Providers, tmp_path: Path
) -> None:
    await broker.publish(
        "accounts.events.v1", make.contact_changed("C1", NOW, phone=PHONE, wechat_openid="oC1")
    )
    stack = Stack(
        kafka_bootstrap=broker.bootstrap,
        database_urls={"notifier": database_url},
        log_dir=tmp_path / "logs",
        env={
            "KAFKA_TOPIC_PREFIX": broker.prefix,
            "SMS_URL": providers.sms.url,
            "WECHAT_URL": providers.wechat.url,
            "CALLBACK_SECRET": SECRET,
            "PROVIDER_TIMEOUT_S": "12",
            "SEND_LEASE_S": "13",
            "DISPATCH_INTERVAL_S": "0.05",
            "RELAY_POLL_INTERVAL_MS": "50",
        },
    )
    providers.wechat.delay_s, providers.sms.delay_s = 10, 4  # the answers come after the kill
    stack.start("notifier")
    try:
        await stack.wait_ready()
        providers.call_back_to(stack.url("notifier"))
        async with httpx.AsyncClient(base_url=stack.url("notifier"), timeout=5) as http:
            assert await eventually(lambda: _processed(http, "accounts.events.v1"))
        for event, provider in [
            (
                outreach("K-wechat", "C1", channel="wechat", purpose="service", subject="账单"),
                providers.wechat,
            ),
            (outreach("K-sms", "C1", channel="sms"), providers.sms),
        ]:  # one after the other, so that both are in the providers' hands at the kill
            await broker.publish("reach.outreach.v1", event)
            assert await eventually(lambda p=provider: p.requests), "no request reached it"
        stack.kill("notifier")  # the provider has them; the notifier never recorded the answer
        providers.sms.delay_s = providers.wechat.delay_s = 0
        stack.start("notifier")
        await stack.wait_ready()

        async with httpx.AsyncClient(base_url=stack.url("notifier"), timeout=5) as http:

            async def settled():
                sends = {s["idempotency_key"]: s for s in (await http.get("/sends")).json()}
                done = sends["K-sms"]["receipt"] == "delivered"
                return sends if done and sends["K-wechat"]["status"] == "unknown" else None

            sends = await eventually(settled, timeout_s=60)
            assert sends, [
                (s["idempotency_key"], s["status"], s["receipt"], s["last_error"])
                for s in (await http.get("/sends")).json()
            ]

            # SMS: re-sent after the lease with the same out_id; the gateway kept one message
            requests = providers.sms.requests_for("K-sms")
            assert len(requests) == 2
            assert providers.sms.delivered_texts(PHONE) == [
                "【Reach证券】李女士您好，新基金今日开放认购。回T退订"
            ]
            assert sends["K-sms"]["provider_message_id"] == providers.sms.accepted["K-sms"]
            # WeChat takes no idempotency key: not re-sent blindly, left for a person
            assert len(providers.wechat.requests) == 1
            assert sends["K-wechat"]["last_error"].startswith("interrupted while the provider")
            retried = await http.post("/sends/K-wechat/retry")
            assert retried.json()["status"] == "pending"
            again = await http.post("/sends/K-sms/retry")
            assert again.status_code == 409

        events = await deliveries(
            broker, lambda es: any(e.event_type == "delivery.receipted" for e in es)
        )
        assert [e.payload.idempotency_key for e in events if e.event_type == "delivery.sent"][
            :1
        ] == ["K-sms"]
        assert (
            sum(
                e.event_type == "delivery.sent" and e.payload.idempotency_key == "K-sms"
                for e in events
            )
            == 1
        )
    finally:
        stack.stop()
