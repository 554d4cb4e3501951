"""The notifier's composition root: providers are built here from the settings and nowhere else."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from pathlib import Path

from reach_runtime.service import Runtime, ServiceDefinition

from reach_notifier.adapters.email import SmtpEmail
from reach_notifier.adapters.push import PushService
from reach_notifier.adapters.sms import SmsGateway
from reach_notifier.adapters.wechat import WechatTemplateMessages
from reach_notifier.api import callbacks, inbox, sends, tasks
from reach_notifier.db.tables import metadata
from reach_notifier.domain.channels import ChannelAdapter
from reach_notifier.domain.rendering import SmsStyle
from reach_notifier.domain.resilience import CircuitBreaker, RateLimit
from reach_notifier.handlers.dispatch import Dispatcher, DispatchPolicy, Provider
from reach_notifier.handlers.intake import subscriptions
from reach_notifier.handlers.known import preload
from reach_notifier.settings import NotifierSettings

log = logging.getLogger(__name__)


def adapters_from(settings: NotifierSettings) -> dict[str, ChannelAdapter]:
    """One adapter per outside channel, configured from the environment."""
    timeout = settings.provider_timeout_s
    return {
        "email": SmtpEmail(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_sender,
            timeout_s=timeout,
        ),
        "sms": SmsGateway(
            base_url=settings.sms_url,
            api_key=settings.sms_api_key,
            sign_name=settings.sms_signature,
            timeout_s=timeout,
        ),
        "push": PushService(
            base_url=settings.push_url, api_key=settings.push_api_key, timeout_s=timeout
        ),
        "wechat": WechatTemplateMessages(
            base_url=settings.wechat_url,
            access_token=settings.wechat_access_token,
            template_id=settings.wechat_template_id,
            timeout_s=timeout,
        ),
    }


def bootstrap(
    settings: NotifierSettings | None = None, adapters: Mapping[str, ChannelAdapter] | None = None
) -> ServiceDefinition:
    settings = settings or NotifierSettings()
    adapters = adapters or adapters_from(settings)
    rates = {
        "email": settings.email_rate_per_s,
        "sms": settings.sms_rate_per_s,
        "push": settings.push_rate_per_s,
        "wechat": settings.wechat_rate_per_s,
    }
    sms = SmsStyle(
        signature=settings.sms_signature,
        opt_out=settings.sms_opt_out,
        max_parts=settings.sms_max_parts,
    )
    policy = DispatchPolicy(
        sms=sms,
        batch=settings.dispatch_batch,
        concurrency=settings.dispatch_concurrency,
        timeout_s=settings.provider_timeout_s,
        lease_s=settings.send_lease_s,
        max_attempts=settings.max_attempts,
        retry_base_s=settings.retry_base_s,
        retry_cap_s=settings.retry_cap_s,
    )

    async def dispatcher(runtime: Runtime) -> None:
        """Recovers interrupted sends and sends what is due, as soon as it is due."""
        providers = {
            channel: Provider(
                adapter=adapter,
                limit=RateLimit(rates.get(channel, 50)),
                breaker=CircuitBreaker(settings.breaker_failures, settings.breaker_cooldown_s),
            )
            for channel, adapter in adapters.items()
        }
        worker = Dispatcher(uows=runtime.uows, providers=providers, policy=policy)
        try:
            while True:
                try:
                    busy = await worker.pass_once()
                except Exception:
                    log.exception("dispatch failed; retrying")
                    busy = 0
                if not busy:  # until a provider call ends or the poll interval passes
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(worker.wake.wait(), settings.dispatch_interval_s)
        finally:
            worker.cancel()

    return ServiceDefinition(
        name="notifier",
        description="Delivers outreach over every channel, once, and only with consent.",
        settings=settings,
        metadata=metadata,
        migrations=Path(__file__).parent / "db" / "versions",
        subscriptions=subscriptions(sms=sms),
        routers=[sends.router, inbox.router, tasks.router, callbacks.router],
        workers=[dispatcher],
        preload=preload,
    )
