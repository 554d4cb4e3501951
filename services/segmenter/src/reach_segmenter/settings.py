"""The segmenter's settings."""

from pydantic import Field
from reach_runtime.settings import ServiceSettings


class SegmenterSettings(ServiceSettings):
    service_name: str = "segmenter"
    http_port: int = 8102
    sweep_interval_s: float = Field(default=60.0, ge=0.1, le=86_400)
