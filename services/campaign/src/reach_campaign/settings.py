"""The campaign service's settings."""

from reach_runtime.settings import ServiceSettings


class CampaignSettings(ServiceSettings):
    service_name: str = "campaign"
    http_port: int = 8103
