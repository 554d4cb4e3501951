"""The campaign service's settings."""

from pydantic import Field
from reach_runtime.settings import ServiceSettings

from reach_campaign.domain.gate import Caps


class CampaignSettings(ServiceSettings):
    service_name: str = "campaign"
    http_port: int = 8103
    cap_client_day: int = Field(default=1, ge=1, le=100, description="marketing+care a day")
    cap_client_week: int = Field(default=3, ge=1, le=500, description="in any 7 days")
    cap_channel_day: int = Field(default=1, ge=1, le=100, description="per channel a day")
    release_interval_s: float = Field(default=1.0, gt=0, le=3600, description="due-send poll")
    sweep_interval_s: float = Field(
        default=60, gt=0, le=86_400, description="inactivity and schedule sweeps"
    )
    schedule_page: int = Field(
        default=1000, ge=1, le=100_000, description="schedule audience members per transaction"
    )

    @property
    def caps(self) -> Caps:
        return Caps(
            client_day=self.cap_client_day,
            client_week=self.cap_client_week,
            channel_day=self.cap_channel_day,
        )
