"""The profile service's settings."""

from reach_runtime.settings import ServiceSettings


class ProfileSettings(ServiceSettings):
    service_name: str = "profile"
    http_port: int = 8101
