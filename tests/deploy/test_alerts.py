"""The chart's Prometheus rules alert on metrics the services really expose."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase
from reach_contracts import TOPICS, event_type_of
from reach_runtime import metrics

pytestmark = [pytest.mark.deploy, pytest.mark.timeout(1200)]

ALERTS = {
    "ReachConsumerLagHigh",
    "ReachDeadLetters",
    "ReachSendFailureRateHigh",
    "ReachGateSuppressionSpike",
    "ReachOutboxBacklog",
}


def exposed_series() -> set[str]:
    """The series names reach_runtime.metrics puts on /metrics."""
    names: set[str] = set()
    for metric in vars(metrics).values():
        if not isinstance(metric, MetricWrapperBase):
            continue
        name = metric._name
        if isinstance(metric, Counter):
            names.add(f"{name}_total")
        elif isinstance(metric, Gauge):
            names.add(name)
        elif isinstance(metric, Histogram):
            names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
    return names


@pytest.fixture(scope="module")
def rules(render) -> list[dict]:
    manifests = render(sets=("prometheusRules.enabled=true",))
    [rule] = [m for m in manifests if m["kind"] == "PrometheusRule"]
    return [r for group in rule["spec"]["groups"] for r in group["rules"]]


def test_the_rules_are_installed_only_when_asked(render) -> None:
    assert not [m for m in render() if m["kind"] in {"PrometheusRule", "PodMonitor"}]


def test_the_runbook_alerts_are_all_there(rules: list[dict]) -> None:
    assert {r["alert"] for r in rules} == ALERTS


def test_alerts_use_only_metrics_the_services_expose(rules: list[dict]) -> None:
    exposed = exposed_series()
    assert "reach_events_dead_lettered_total" in exposed
    for rule in rules:
        used = set(re.findall(r"\breach_[a-z_]+\b", rule["expr"]))
        assert used, rule["alert"]
        assert used <= exposed, f"{rule['alert']} uses {used - exposed}"


def test_alert_label_values_name_real_topics_event_types_and_services(
    rules: list[dict], services: tuple[str, ...]
) -> None:
    for rule in rules:
        for selector in re.findall(r"\{([^}]*)\}", rule["expr"]):
            labels = dict(re.findall(r'(\w+)\s*=~?\s*"([^"]*)"', selector))
            if "service" in labels:
                assert labels["service"] in services
            if "topic" in labels:
                topic = TOPICS[labels["topic"]]
                carried = {event_type_of(event) for event in topic.events}
                if "event_type" in labels:
                    assert set(labels["event_type"].split("|")) <= carried, rule["alert"]


def test_every_alert_points_at_a_runbook_section_that_exists(root: Path, rules: list[dict]) -> None:
    runbook = (root / "docs" / "runbook.md").read_text()
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", heading.strip().lower()).replace(" ", "-")
        for heading in re.findall(r"^#+ (.+)$", runbook, flags=re.MULTILINE)
    }
    for rule in rules:
        path, _, anchor = rule["annotations"]["runbook"].partition("#")
        assert path == "docs/runbook.md"
        assert anchor in anchors, f"{rule['alert']}: no section #{anchor} in docs/runbook.md"
