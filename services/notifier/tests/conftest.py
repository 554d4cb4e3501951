"""The notifier with real local providers: an SMTP server and HTTP servers speaking the SMS
gateway, push and WeChat protocols; and the notifier's own API on a real port for callbacks."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import uvicorn
from reach_contracts import (
    FallbackScript,
    OutreachRequested,
    OutreachRequestedPayload,
    decode,
)
from reach_notifier.settings import NotifierSettings
from reach_runtime.service import Runtime, create_app
from reach_runtime.stack import Broker, free_port
from reach_runtime.testing import eventually
from reach_sim.providers import PushService, SmsGateway, SmtpSink, WechatTemplateApi

SECRET = "test-callback-secret"
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


@dataclass
class Providers:
    sms: SmsGateway
    push: PushService
    wechat: WechatTemplateApi
    smtp: SmtpSink

    def call_back_to(self, url: str) -> None:
        for provider in (self.sms, self.push, self.wechat):
            provider.receipt_url = url


@pytest.fixture
def providers() -> Iterator[Providers]:
    with (
        SmsGateway(secret=SECRET) as sms,
        PushService(secret=SECRET) as push,
        WechatTemplateApi(secret=SECRET) as wechat,
        SmtpSink() as smtp,
    ):
        yield Providers(sms, push, wechat, smtp)


def settings_for(
    database_url: str, broker: Broker, providers: Providers, **overrides: object
) -> NotifierSettings:
    values: dict[str, object] = {
        "database_url": database_url,
        "kafka_bootstrap_servers": broker.bootstrap,
        "kafka_topic_prefix": broker.prefix,
        "relay_poll_interval_ms": 50,
        "dispatch_interval_s": 0.05,
        "smtp_port": providers.smtp.port,
        "sms_url": providers.sms.url,
        "push_url": providers.push.url,
        "wechat_url": providers.wechat.url,
        "callback_secret": SECRET,
        "retry_base_s": 0.2,
        "provider_timeout_s": 3,
        "send_lease_s": 5,
        **overrides,
    }
    return NotifierSettings(**values)


def outreach(
    key: str,
    client_id: str,
    *,
    channel: str = "sms",
    purpose: str = "marketing",
    body: str = "{name}您好，新基金今日开放认购。",
    subject: str | None = None,
    variables: dict[str, str] | None = None,
    fallbacks: list[dict[str, object]] = (),
) -> OutreachRequested:
    return OutreachRequested(
        event_id=f"out-{key}",
        occurred_at=NOW,
        client_id=client_id,
        payload=OutreachRequestedPayload(
            idempotency_key=key,
            campaign_id="CMP-test",
            campaign_name="test",
            channel=channel,
            purpose=purpose,
            subject=subject,
            body=body,
            variables={"name": "李女士"} if variables is None else variables,
            trigger_event_id="trigger-1",
            fallbacks=[FallbackScript(**f) for f in fallbacks],
        ),
    )


def signed(payload: dict[str, object]) -> tuple[bytes, dict[str, str]]:
    """A body and headers as a provider signs them."""
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "X-Reach-Signature": signature}


async def deliveries(broker: Broker, until, timeout_s: float = 30) -> list:
    """Events on reach.deliveries.v1 until `until(events)` holds."""
    records = await broker.read(
        "reach.deliveries.v1",
        until=lambda records: until([decode("reach.deliveries.v1", r.value) for r in records]),
        timeout_s=timeout_s,
    )
    return [decode("reach.deliveries.v1", r.value) for r in records]


@contextlib.asynccontextmanager
async def serving(runtime: Runtime) -> AsyncIterator[str]:
    """The running notifier's API on a real port (for providers calling back); its URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(runtime), host="127.0.0.1", port=port, lifespan="off", log_config=None
        )
    )
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started, interval_s=0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
