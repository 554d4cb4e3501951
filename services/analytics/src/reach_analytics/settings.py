"""Analytics' settings."""

from datetime import timedelta

from pydantic import Field
from reach_runtime.settings import ServiceSettings


class AnalyticsSettings(ServiceSettings):
    service_name: str = "analytics"
    http_port: int = 8105
    # Analytics is off the outreach path: a conversion counted half a second later changes
    # nothing, so its consumer waits for 64 KB (or the fetch wait, 500 ms) and takes one batch
    # where it would take a dozen, leaving the cores to profile → segmenter → campaign → notifier.
    consumer_fetch_min_bytes: int = 65_536
    attribution_window_days: float = Field(
        default=7.0, gt=0, le=365, description="for decisions whose event names no window"
    )
    default_goal_event: str = Field(
        default="trade.executed",
        min_length=1,
        max_length=64,
        description="for decisions whose event names no goal (events before goal_event existed)",
    )

    @property
    def attribution_window(self) -> timedelta:
        return timedelta(days=self.attribution_window_days)
