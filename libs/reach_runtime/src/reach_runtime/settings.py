"""Typed settings shared by every service, read from the environment in one place."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from reach_runtime.clock import Clock, ScaledClock, SystemClock

Environment = Literal["local", "test", "production"]


def _loopback_only(servers: str) -> bool:
    """True when every bootstrap server is this machine (a quick-start broker, not a cluster)."""
    hosts = [
        s.strip().rsplit(":", 1)[0].strip("[]").lower() for s in servers.split(",") if s.strip()
    ]
    return all(h in ("localhost", "::1") or h.startswith("127.") for h in hosts)


class ServiceSettings(BaseSettings):
    """Settings every service has; a service subclasses it to add its own."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", frozen=True)

    service_name: str = "reach"
    reach_env: Environment = "local"
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_topic_prefix: str = Field(default="", pattern=r"^[A-Za-z0-9._-]*$")
    kafka_partitions: int = Field(default=4, ge=1, le=1000, description="for topics Reach creates")
    database_url: str = ""
    data_dir: Path = Path(".local/data")
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8100, ge=0, le=65535)
    http_max_body_bytes: int = Field(
        default=1_048_576, ge=1024, le=100 * 1_048_576, description="larger bodies get 413"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "json"
    otel_exporter_otlp_endpoint: str | None = None
    clock_start: datetime | None = Field(
        default=None, description="simulated time: the instant the clock shows at CLOCK_WALL_START"
    )
    clock_wall_start: float | None = Field(default=None, description="epoch seconds of the anchor")
    clock_speed: float = Field(
        default=1.0, gt=0, le=1_000_000, description="simulated s per wall s"
    )
    consumer_max_records: int = Field(default=500, ge=1, le=10_000)
    consumer_poison_retries: int = Field(default=3, ge=1, le=20)
    consumer_fetch_max_wait_ms: int = Field(
        default=500,
        ge=1,
        le=10_000,
        description="how long the broker may hold a fetch waiting for data (Kafka fetch.max.wait.ms)",
    )
    consumer_fetch_min_bytes: int = Field(
        default=1,
        ge=1,
        le=52_428_800,
        description="bytes a fetch waits for, up to consumer_fetch_max_wait_ms (Kafka"
        " fetch.min.bytes): above 1, a consumer off the outreach path takes fewer, larger batches",
    )
    consumer_top_up_ms: int = Field(
        default=3,
        ge=0,
        le=10_000,
        description="how long a poll that handed over buffered records waits for one more fetch"
        " of what reached the broker meanwhile (0: never)",
    )
    relay_batch_size: int = Field(default=500, ge=1, le=10_000)
    relay_poll_interval_ms: int = Field(default=200, ge=10, le=60_000)
    # authentication (reach_runtime.auth)
    auth_mode: Literal["auto", "on", "off"] = Field(
        default="auto", description="auto: off for REACH_ENV local and test, on in production"
    )
    auth_jwt_key: SecretStr | None = Field(
        default=None, description="PEM public key of the identity provider (or HS* shared secret)"
    )
    auth_jwt_algorithms: list[str] = Field(default=["RS256"], min_length=1)
    auth_jwt_issuer: str | None = None
    auth_jwt_audience: str | None = "reach"
    auth_roles_claim: str = "roles"
    auth_advisor_claim: str = "advisor_id"
    auth_api_keys: dict[str, dict] = Field(
        default_factory=dict,
        description='JSON: SHA-256 of a key -> {"name": ..., "roles": [...]}, for upstream systems',
    )

    @property
    def auth_enforced(self) -> bool:
        if self.auth_mode == "auto":
            return self.reach_env == "production"
        return self.auth_mode == "on"

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> ServiceSettings:
        if self.reach_env == "production":
            if not self.database_url or self.database_url.startswith("sqlite"):
                raise ValueError("production needs DATABASE_URL pointing at PostgreSQL")
            if _loopback_only(self.kafka_bootstrap_servers):
                raise ValueError("production needs KAFKA_BOOTSTRAP_SERVERS of the real cluster")
            if self.auth_mode == "off":
                raise ValueError("production needs authentication: AUTH_MODE=off is refused")
        if self.auth_enforced:
            if self.auth_jwt_key is None and not self.auth_api_keys:
                raise ValueError("authentication needs AUTH_JWT_KEY or AUTH_API_KEYS")
            if self.auth_jwt_key is not None and not self.auth_jwt_issuer:
                raise ValueError("AUTH_JWT_KEY needs AUTH_JWT_ISSUER, the issuer to trust")
        return self

    def clock(self) -> Clock:
        """The system clock, or the simulated one when CLOCK_START is set (demo mode)."""
        if self.clock_start is None:
            return SystemClock()
        if self.clock_start.tzinfo is None:
            raise ValueError("CLOCK_START needs an offset, such as +08:00")
        wall = self.clock_wall_start if self.clock_wall_start is not None else time.time()
        return ScaledClock(start=self.clock_start, wall_start=wall, speed=self.clock_speed)

    @property
    def effective_database_url(self) -> str:
        """DATABASE_URL, or the embedded SQLite file of this service."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / (self.service_name + '.db')}"

    def topic(self, name: str) -> str:
        """The physical Kafka topic for a logical topic name (tests isolate by prefix)."""
        return self.kafka_topic_prefix + name

    @property
    def consumer_group(self) -> str:
        return f"{self.kafka_topic_prefix}reach-{self.service_name}"
