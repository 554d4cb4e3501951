"""Service settings: read from the environment, unsafe defaults refused in production."""

from __future__ import annotations

from pathlib import Path

import pytest
from reach_runtime.settings import ServiceSettings

PRODUCTION = {
    "reach_env": "production",
    "database_url": "postgresql+asyncpg://reach@db.internal/reach",
    "kafka_bootstrap_servers": "kafka-0.kafka.internal:9092,kafka-1.kafka.internal:9092",
    "auth_jwt_key": "-----BEGIN PUBLIC KEY-----\nMIIB…\n-----END PUBLIC KEY-----",
    "auth_jwt_issuer": "https://sso.broker.example/realms/staff",
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings read the environment; tests must not depend on the one they run in."""
    for name in ServiceSettings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


def test_production_with_postgresql_and_a_real_kafka_cluster_is_accepted() -> None:
    settings = ServiceSettings(**PRODUCTION)
    assert settings.effective_database_url == PRODUCTION["database_url"]


@pytest.mark.parametrize("url", ["", "sqlite+aiosqlite:///data/reach.db", "sqlite:///reach.db"])
def test_production_refuses_a_missing_or_sqlite_database(url: str) -> None:
    with pytest.raises(ValueError, match="PostgreSQL"):
        ServiceSettings(**{**PRODUCTION, "database_url": url})


@pytest.mark.parametrize("servers", ["127.0.0.1:9092", "localhost:9092", "[::1]:9092"])
def test_production_refuses_a_kafka_on_the_loopback_interface(servers: str) -> None:
    with pytest.raises(ValueError, match="KAFKA_BOOTSTRAP_SERVERS"):
        ServiceSettings(**{**PRODUCTION, "kafka_bootstrap_servers": servers})


def test_production_has_authentication_on_and_refuses_to_turn_it_off() -> None:
    assert ServiceSettings(**PRODUCTION).auth_enforced
    with pytest.raises(ValueError, match="AUTH_MODE=off"):
        ServiceSettings(**{**PRODUCTION, "auth_mode": "off"})


def test_authentication_needs_a_key_to_check_tokens_with_and_an_issuer_to_trust() -> None:
    with pytest.raises(ValueError, match="AUTH_JWT_KEY or AUTH_API_KEYS"):
        ServiceSettings(**{**PRODUCTION, "auth_jwt_key": None})
    with pytest.raises(ValueError, match="AUTH_JWT_ISSUER"):
        ServiceSettings(**{**PRODUCTION, "auth_jwt_issuer": None})
    assert not ServiceSettings(reach_env="test").auth_enforced  # off outside production


def test_production_read_from_the_environment_is_refused_with_local_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REACH_ENV", "production")
    with pytest.raises(ValueError, match="PostgreSQL"):
        ServiceSettings()


def test_local_mode_falls_back_to_an_embedded_sqlite_file_per_service(tmp_path: Path) -> None:
    settings = ServiceSettings(service_name="profile", data_dir=tmp_path)
    assert settings.reach_env == "local"
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{tmp_path / 'profile.db'}"


def test_logical_topics_and_the_consumer_group_carry_the_prefix() -> None:
    settings = ServiceSettings(service_name="segmenter", kafka_topic_prefix="t1a2b.")
    assert settings.topic("reach.portraits.v1") == "t1a2b.reach.portraits.v1"
    assert settings.consumer_group == "t1a2b.reach-segmenter"


def test_without_a_prefix_topics_keep_their_logical_names() -> None:
    settings = ServiceSettings(service_name="profile")
    assert settings.topic("trading.trades.v1") == "trading.trades.v1"
    assert settings.consumer_group == "reach-profile"


@pytest.mark.parametrize("prefix", ["has space.", "slash/", "star*"])
def test_a_topic_prefix_kafka_would_reject_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="kafka_topic_prefix"):
        ServiceSettings(kafka_topic_prefix=prefix)


def test_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVICE_NAME", "notifier")
    monkeypatch.setenv("KAFKA_TOPIC_PREFIX", "ci.")
    assert ServiceSettings().consumer_group == "ci.reach-notifier"
