"""The notifier's settings."""

from pydantic import Field
from reach_runtime.settings import ServiceSettings


class NotifierSettings(ServiceSettings):
    service_name: str = "notifier"
    http_port: int = 8104
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=8025, ge=1, le=65535)
    smtp_sender: str = "Reach <reach@broker.example>"
    dispatch_interval_s: float = Field(default=0.2, ge=0.01, le=60)
