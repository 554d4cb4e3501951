"""docker-compose.yml follows the Compose Specification and starts Reach in a safe order."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from reach_contracts import DEAD_LETTER_TOPIC, TOPICS

pytestmark = pytest.mark.deploy


@pytest.fixture(scope="module")
def compose(root: Path) -> dict:
    return yaml.safe_load((root / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def spec(root: Path) -> jsonschema.Draft202012Validator:
    schema = json.loads((root / "deploy/compose/compose-spec/compose-spec.json").read_text())
    return jsonschema.Draft202012Validator(schema)


def problems(spec: jsonschema.Draft202012Validator, document: dict) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in spec.iter_errors(document)]


def test_docker_compose_yml_follows_the_compose_specification(spec, compose: dict) -> None:
    assert problems(spec, compose) == []


def test_the_specification_refuses_a_misspelt_service_key(spec, compose: dict) -> None:
    broken = {**compose, "services": {**compose["services"]}}
    broken["services"]["profile"] = {**compose["services"]["profile"], "restart_policy": "always"}
    assert any("restart_policy" in p for p in problems(spec, broken))


def test_kafka_runs_in_kraft_mode_without_zookeeper(compose: dict) -> None:
    kafka = compose["services"]["kafka"]
    assert set(kafka["environment"]["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert not [name for name in compose["services"] if "zookeeper" in name]


def test_the_topics_one_shot_creates_every_contract_topic(root: Path, compose: dict) -> None:
    script = (root / "deploy/compose/create-topics.sh").read_text()
    created = dict(re.findall(r"^create (\S+)(.*)$", script, flags=re.MULTILINE))
    wanted = {*TOPICS, DEAD_LETTER_TOPIC}
    assert set(created) == wanted
    compacted = {name for name, options in created.items() if "cleanup.policy=compact" in options}
    assert compacted == {name for name, topic in TOPICS.items() if topic.compacted}
    topics = compose["services"]["topics"]
    assert topics["restart"] == "no"
    assert any("create-topics.sh" in volume for volume in topics["volumes"])


def test_each_service_starts_after_its_own_migrations_and_the_topics(
    root: Path, compose: dict, services: tuple[str, ...]
) -> None:
    databases = re.findall(
        r"'(reach_\w+)'", (root / "deploy/compose/postgres-init.sql").read_text()
    )
    assert sorted(databases) == sorted(f"reach_{s}" for s in services)
    for name in services:
        service, migrate = compose["services"][name], compose["services"][f"{name}-migrate"]
        assert service["command"] == [f"reach_{name}", "all"]
        assert migrate["command"] == [f"reach_{name}", "migrate"]
        assert migrate["restart"] == "no"
        database = f"postgres:5432/reach_{name}"
        assert service["environment"]["DATABASE_URL"].endswith(database)
        assert migrate["environment"]["DATABASE_URL"].endswith(database)
        waits = {k: v["condition"] for k, v in service["depends_on"].items()}
        assert waits[f"{name}-migrate"] == "service_completed_successfully"
        assert waits["topics"] == "service_completed_successfully"
        assert waits["kafka"] == waits["postgres"] == "service_healthy"


def test_every_service_sends_its_traces_to_the_collector(
    root: Path, compose: dict, services: tuple[str, ...]
) -> None:
    collector = compose["services"]["otel-collector"]
    config = yaml.safe_load((root / "deploy/compose/otel-collector.yaml").read_text())
    assert "http" in config["receivers"]["otlp"]["protocols"]
    assert config["service"]["pipelines"]["traces"]["receivers"] == ["otlp"]
    assert any("otel-collector.yaml" in volume for volume in collector["volumes"])
    for name in services:
        endpoint = compose["services"][name]["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"]
        assert endpoint == "http://otel-collector:4318"
