"""The segmenter's settings."""

from pydantic import Field
from reach_runtime.settings import ServiceSettings


class SegmenterSettings(ServiceSettings):
    service_name: str = "segmenter"
    http_port: int = 8102
    # Time-relative segments are re-evaluated this often: the most a clock-driven move waits.
    sweep_interval_s: float = Field(default=60.0, ge=0.1, le=86_400)
    # How often the back-fill worker looks for a queued job when it has none.
    backfill_poll_s: float = Field(default=0.5, ge=0.01, le=60)
    # Portraits per back-fill or sweep transaction.
    backfill_page_size: int = Field(default=10_000, ge=1, le=1_000_000)
    # Client-id ranges a back-fill is split into and worked side by side (PostgreSQL; SQLite
    # writes one transaction at a time and works one).
    backfill_lanes: int = Field(default=2, ge=1, le=16)
