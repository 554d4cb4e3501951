"""What comes back: an SMS reply T withdraws consent at once; signed receipts are recorded
once and published; unsigned ones are refused."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import REGISTRY
from reach_notifier.bootstrap import bootstrap
from reach_runtime.stack import Broker
from reach_runtime.testing import eventually, running
from reach_sim import builders as make

from .conftest import NOW, Providers, deliveries, outreach, serving, settings_for, signed

pytestmark = pytest.mark.kafka
PHONE = "+8613800138000"


async def _send(client, key: str) -> dict | None:
    response = await client.get(f"/sends/{key}")
    return response.json() if response.status_code == 200 else None


async def test_an_sms_reply_t_withdraws_sms_marketing_at_once_even_for_a_send_already_queued(
    database_url: str, broker: Broker, providers: Providers
) -> None:
    await broker.publish(
        "accounts.events.v1", make.contact_changed("C1", NOW, phone=PHONE, email="c1@example.com")
    )
    settings = settings_for(database_url, broker, providers, retry_base_s=2)
    async with running(bootstrap(settings)) as (runtime, client), serving(runtime) as url:
        providers.call_back_to(url)
        await eventually(lambda: runtime.consumer.caught_up)
        providers.sms.fail_next(1, status=503)  # the first try fails; a retry is due in 1-2 s
        email = {"channel": "email", "subject": "新基金", "body": "{name}您好，邮件版"}
        await broker.publish("reach.outreach.v1", outreach("K-queued", "C1", fallbacks=[email]))
        assert await eventually(lambda: providers.sms.requests_for("K-queued"))

        assert await asyncio.to_thread(providers.sms.reply, PHONE, " t ") == 200

        async def moved():
            send = await _send(client, "K-queued")
            return send if send and send["status"] == "sent" else None

        send = await eventually(moved, timeout_s=20)
        assert send and send["channel"] == "email", send
        assert send["skipped_channels"] == (
            "sms: no_consent (sms marketing withdrawn via sms_reply)"
        )
        assert len(providers.sms.requests_for("K-queued")) == 1  # the retry never went out
        await broker.publish(
            "reach.outreach.v1",
            outreach("K-later", "C1"),
            outreach("K-notice", "C1", purpose="service", body="您的账单已出。"),
        )

        async def settled():
            later, notice = await _send(client, "K-later"), await _send(client, "K-notice")
            return (later, notice) if later and notice and notice["status"] == "sent" else None

        later, _notice = await eventually(settled, timeout_s=20)
        assert later["status"] == "suppressed"
        assert later["last_error"] == "sms: no_consent (sms marketing withdrawn via sms_reply)"

        # a reply T reported upstream (engagement.events.v1) counts the same
        await broker.publish(
            "accounts.events.v1", make.contact_changed("C5", NOW, phone="+8613900000005")
        )
        replies = {"service": "notifier", "topic": "engagement.events.v1"}
        replies["event_type"] = "message.replied"
        before = REGISTRY.get_sample_value("reach_events_processed_total", replies) or 0
        await broker.publish(
            "engagement.events.v1", make.message_replied("C5", NOW, channel="sms", text="T")
        )
        assert await eventually(
            lambda: (
                (REGISTRY.get_sample_value("reach_events_processed_total", replies) or 0) > before
            )
        )
        await broker.publish("reach.outreach.v1", outreach("K-c5", "C5"))
        c5 = await eventually(lambda: _send(client, "K-c5"), timeout_s=20)
        assert c5 and c5["status"] == "suppressed", c5
        assert providers.sms.delivered_texts(PHONE) == ["【Reach证券】您的账单已出。"]

        body, headers = signed({"reply_id": "MO-x", "phone": PHONE, "text": "hello"})
        answer = await client.post("/callbacks/sms/replies", content=body, headers=headers)
        assert answer.json() == {"opted_out": False}
        nul, nul_headers = signed({"reply_id": "MO-y", "phone": PHONE, "text": "T\x00"})
        refused = await client.post("/callbacks/sms/replies", content=nul, headers=nul_headers)
        assert refused.status_code == 422 and "text" in refused.text
        headers["X-Reach-Signature"] = "sha256=" + "0" * 64
        forged = await client.post("/callbacks/sms/replies", content=body, headers=headers)
        assert forged.status_code == 401

        events = await deliveries(
            broker, lambda es: any(e.event_type == "delivery.opted_out" for e in es)
        )
        [opt_out] = [e for e in events if e.event_type == "delivery.opted_out"]
        assert opt_out.client_id == "C1"
        p = opt_out.payload
        assert (p.channel, p.purpose, p.source) == ("sms", "marketing", "sms_reply")


async def test_signed_receipts_are_recorded_once_and_published_and_unsigned_ones_refused(
    database_url: str, broker: Broker, providers: Providers
) -> None:
    settings = settings_for(database_url, broker, providers)
    async with running(bootstrap(settings)) as (runtime, client), serving(runtime) as url:
        providers.call_back_to(url)
        await broker.publish(
            "reach.outreach.v1", outreach("K-push", "C1", channel="push", subject="新基金")
        )

        async def delivered():
            send = await _send(client, "K-push")
            return send if send and send["receipt"] == "delivered" else None

        send = await eventually(delivered, timeout_s=20)  # the push service called back
        assert send, await _send(client, "K-push")
        message_id = send["provider_message_id"]
        for _ in range(2):  # a repeated receipt is recorded once
            assert await asyncio.to_thread(providers.push.send_receipt, message_id, "opened") == 200

        body, headers = signed({"message_id": message_id, "status": "clicked"})
        unsigned = await client.post("/callbacks/push/receipts", content=body)
        assert unsigned.status_code == 401
        assert "X-Reach-Signature" in unsigned.text
        body, headers = signed({"message_id": "nope", "status": "clicked"})
        unknown = await client.post("/callbacks/push/receipts", content=body, headers=headers)
        assert unknown.status_code == 404 and "message_id" in unknown.text
        body, headers = signed({"message_id": message_id, "status": "read"})
        invalid = await client.post("/callbacks/push/receipts", content=body, headers=headers)
        assert invalid.status_code == 422 and "status" in invalid.text

        events = await deliveries(broker, lambda es: len(es) >= 3)
        receipts = [e.payload.status for e in events if e.event_type == "delivery.receipted"]
        assert sorted(receipts) == ["delivered", "opened"]
