"""The notifier's settings: providers, their secrets and limits, and the dispatcher's pace."""

from __future__ import annotations

from pydantic import Field, model_validator
from reach_runtime.settings import ServiceSettings

_PLACEHOLDER = "local-only-secret"


class NotifierSettings(ServiceSettings):
    service_name: str = "notifier"
    http_port: int = 8104
    dispatch_interval_s: float = Field(default=0.2, ge=0.01, le=60)
    dispatch_batch: int = Field(default=50, ge=1, le=1000, description="sends claimed per pass")
    dispatch_concurrency: int = Field(
        default=20, ge=1, le=500, description="provider calls in flight"
    )
    provider_timeout_s: float = Field(default=10, gt=0, le=120)
    send_lease_s: float = Field(
        default=60, gt=0, description="a send left 'sending' this long is recovered"
    )
    max_attempts: int = Field(default=8, ge=1, le=50)
    retry_base_s: float = Field(default=2, gt=0)
    retry_cap_s: float = Field(default=300, gt=0)
    breaker_failures: int = Field(default=5, ge=1, description="transient failures in a row")
    breaker_cooldown_s: float = Field(default=30, gt=0)

    # e-mail (SMTP)
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=8025, ge=1, le=65535)
    smtp_sender: str = "Reach <reach@broker.example>"
    email_rate_per_s: float = Field(default=50, gt=0)

    # SMS gateway (HTTP)
    sms_url: str = "http://127.0.0.1:8031"
    sms_api_key: str = _PLACEHOLDER
    sms_signature: str = Field(default="【Reach证券】", min_length=3, max_length=20)
    sms_opt_out: str = "回T退订"
    sms_max_parts: int = Field(default=3, ge=1, le=10)
    sms_rate_per_s: float = Field(default=50, gt=0)

    # app push (HTTP)
    push_url: str = "http://127.0.0.1:8032"
    push_api_key: str = _PLACEHOLDER
    push_rate_per_s: float = Field(default=100, gt=0)

    # WeChat service account template messages (HTTP)
    wechat_url: str = "http://127.0.0.1:8033"
    wechat_access_token: str = _PLACEHOLDER
    wechat_template_id: str = "reach-service-notice"
    wechat_rate_per_s: float = Field(default=20, gt=0)

    # what providers sign their receipts and replies with (HMAC-SHA256 of the body)
    callback_secret: str = _PLACEHOLDER

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> NotifierSettings:
        if self.send_lease_s <= self.provider_timeout_s:
            raise ValueError("SEND_LEASE_S must exceed PROVIDER_TIMEOUT_S")
        if self.reach_env == "production":
            for name in ("sms_api_key", "push_api_key", "wechat_access_token", "callback_secret"):
                if getattr(self, name) == _PLACEHOLDER:
                    raise ValueError(f"production needs {name.upper()} set")
        return self
