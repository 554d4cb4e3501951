"""Every channel through real Kafka to a real local provider, each in its own protocol."""

from __future__ import annotations

import pytest
from reach_notifier.bootstrap import bootstrap
from reach_runtime.stack import Broker
from reach_runtime.testing import eventually, running
from reach_sim import builders as make

from .conftest import NOW, Providers, deliveries, outreach, settings_for

pytestmark = pytest.mark.kafka


async def _sends(client, **params) -> dict[str, dict]:
    return {s["idempotency_key"]: s for s in (await client.get("/sends", params=params)).json()}


async def test_each_channel_reaches_its_provider_once_in_its_own_protocol(
    database_url: str, broker: Broker, providers: Providers
) -> None:
    await broker.publish(
        "accounts.events.v1",
        make.account_opened("C1", NOW, advisor_id="ADV7"),
        make.contact_changed(
            "C1", NOW, email="li@example.com", phone="+8613800138000", wechat_openid="oC1"
        ),
    )
    settings = settings_for(database_url, broker, providers)
    async with running(bootstrap(settings)) as (runtime, client):
        await eventually(lambda: runtime.consumer.caught_up)
        sms = outreach("K-sms", "C1")
        await broker.publish(
            "reach.outreach.v1",
            sms,
            sms,  # redelivered: still one send
            outreach("K-email", "C1", channel="email", purpose="service", subject="{name}的账单"),
            outreach("K-push", "C1", channel="push", subject="新基金"),
            outreach("K-wechat", "C1", channel="wechat", purpose="service", subject="账单提醒"),
            outreach("K-inapp", "C1", channel="inapp", purpose="service", subject="通知"),
            outreach("K-task", "C1", channel="advisor_task", purpose="service", body="回访{name}"),
        )

        async def all_sent():
            sends = await _sends(client, status="sent")
            return sends if len(sends) == 6 else None

        sends = await eventually(all_sent, timeout_s=30)
        assert sends, await _sends(client)

        [sms_request] = providers.sms.requests_for("K-sms")
        assert sms_request.body["content"] == "【Reach证券】李女士您好，新基金今日开放认购。回T退订"
        assert sms_request.body["sign_name"] == "Reach证券"
        assert sms_request.address == "+8613800138000"
        assert sends["K-sms"]["provider_message_id"] == providers.sms.accepted["K-sms"]
        [push_request] = providers.push.requests_for("K-push")
        assert (push_request.address, push_request.body["title"]) == ("C1", "新基金")
        [wechat_request] = providers.wechat.requests
        assert wechat_request.address == "oC1"
        assert wechat_request.body["data"]["thing1"]["value"] == "账单提醒"
        [mail] = providers.smtp.received
        assert (mail.message_id, mail.to, mail.subject) == (
            "<K-email@reach>",
            ["li@example.com"],
            "李女士的账单",
        )

        [message] = (await client.get("/inbox", params={"client_id": "C1"})).json()
        assert message["read_at"] is None
        read = await client.post(f"/inbox/{message['idempotency_key']}/read")
        assert read.json()["read_at"] is not None
        assert (await client.get("/inbox", params={"client_id": "C1", "unread": True})).json() == []

        mine = {"X-Reach-Actor": "ADV7"}
        [task] = (await client.get("/tasks", headers=mine)).json()
        assert (task["client_id"], task["script"], task["status"]) == ("C1", "回访李女士", "open")
        assert (await client.get("/tasks", headers={"X-Reach-Actor": "ADV8"})).json() == []
        peek = await client.get(
            "/tasks", params={"advisor_id": "ADV7"}, headers={"X-Reach-Actor": "ADV8"}
        )
        assert peek.status_code == 403
        early = await client.post(
            "/tasks/K-task/outcome", json={"outcome": "reached"}, headers=mine
        )
        assert early.status_code == 409
        assert (await client.post("/tasks/K-task/claim", headers=mine)).json()[
            "status"
        ] == "claimed"
        bad = await client.post("/tasks/K-task/outcome", json={"outcome": "maybe"}, headers=mine)
        assert bad.status_code == 422 and "outcome" in bad.text
        done = await client.post(
            "/tasks/K-task/outcome", json={"outcome": "reached", "note": "will buy"}, headers=mine
        )
        assert done.json()["status"] == "done"

        for path, params, field in [
            ("/sends", {"client_id": "C1\x00"}, "client_id"),
            ("/inbox", {"client_id": "'; drop"}, "client_id"),
            ("/sends", {"status": "lost"}, "status"),
        ]:
            bad = await client.get(path, params=params)
            assert bad.status_code == 422 and field in bad.text, (path, bad.text)
        nul = await client.get("/tasks", headers={"X-Reach-Actor": "ADV 7"})
        assert nul.status_code == 422 and "x-reach-actor" in nul.text.lower()

        events = await deliveries(
            broker, lambda es: any(e.event_type == "delivery.receipted" for e in es)
        )
        sent = sorted(e.payload.idempotency_key for e in events if e.event_type == "delivery.sent")
        assert sent == ["K-email", "K-inapp", "K-push", "K-sms", "K-task", "K-wechat"]
        [outcome] = [e for e in events if e.event_type == "delivery.receipted"]
        assert (outcome.payload.idempotency_key, outcome.payload.status) == ("K-task", "reached")


async def test_impossible_channels_fall_back_in_order_and_broken_scripts_fail_with_the_reason(
    database_url: str, broker: Broker, providers: Providers
) -> None:
    await broker.publish(
        "accounts.events.v1",
        make.contact_changed("C2", NOW, email="c2@example.com", wechat_openid="oC2"),
    )
    settings = settings_for(database_url, broker, providers)
    async with running(bootstrap(settings)) as (runtime, client):
        await eventually(lambda: runtime.consumer.caught_up)
        await broker.publish(
            "reach.outreach.v1",
            outreach(
                "K-fallback",
                "C2",
                channel="wechat",
                fallbacks=[
                    {"channel": "sms", "body": "{name}您好"},  # C2 has no phone
                    {"channel": "email", "subject": "新基金", "body": "{name}您好，邮件版"},
                ],
            ),
            outreach("K-wechat-only", "C2", channel="wechat"),
            outreach("K-missing", "C2", channel="email", subject="hi", body="{name}: {fund}"),
            outreach("K-too-long", "C2", channel="email", subject="长" * 201, body="hi"),
        )

        async def settled():
            sends = await _sends(client)
            done = [s for s in sends.values() if s["status"] not in ("pending", "sending")]
            return sends if len(done) == 4 else None

        sends = await eventually(settled, timeout_s=30)
        assert sends, await _sends(client)
        assert sends["K-fallback"]["status"] == "sent"
        assert sends["K-fallback"]["channel"] == "email"
        assert "wechat: wechat_marketing_forbidden" in sends["K-fallback"]["skipped_channels"]
        assert "sms: no_contact (phone)" in sends["K-fallback"]["skipped_channels"]
        [mail] = providers.smtp.received
        assert mail.body == "李女士您好，邮件版"
        assert sends["K-wechat-only"]["status"] == "suppressed"
        assert sends["K-wechat-only"]["last_error"] == "wechat: wechat_marketing_forbidden"
        assert providers.wechat.requests == []
        assert sends["K-missing"]["status"] == "failed"
        assert sends["K-missing"]["last_error"] == "render: missing variable fund"
        assert "limit 200" in sends["K-too-long"]["last_error"]

        events = await deliveries(broker, lambda es: len(es) >= 4)
        outcomes = {e.payload.idempotency_key: e for e in events}
        assert outcomes["K-fallback"].event_type == "delivery.sent"
        assert outcomes["K-fallback"].payload.channel == "email"
        assert outcomes["K-wechat-only"].event_type == "delivery.suppressed"
        assert outcomes["K-wechat-only"].payload.reason == "wechat: wechat_marketing_forbidden"
        assert outcomes["K-missing"].event_type == "delivery.failed"
        assert outcomes["K-missing"].payload.reason == "render: missing variable fund"
