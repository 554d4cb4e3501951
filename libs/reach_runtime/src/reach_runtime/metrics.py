"""Prometheus metrics every service exposes on /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

consumed = Counter("reach_events_consumed", "Messages read from Kafka", ["service", "topic"])
processed = Counter(
    "reach_events_processed", "Events handled and committed", ["service", "topic", "event_type"]
)
duplicates = Counter(
    "reach_events_duplicate", "Events skipped because their event_id was seen", ["service", "topic"]
)
skipped = Counter(
    "reach_events_skipped",
    "Messages skipped on purpose (for example a newer event type)",
    ["service", "topic", "reason"],
)
dead_lettered = Counter(
    "reach_events_dead_lettered", "Messages sent to the dead-letter topic", ["service", "topic"]
)
consumer_lag = Gauge(
    "reach_consumer_lag", "High-water mark minus position", ["service", "topic", "partition"]
)
handler_seconds = Histogram(
    "reach_handler_seconds",
    "Time to handle one event inside its batch transaction",
    ["service", "topic"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
batch_seconds = Histogram(
    "reach_batch_seconds",
    "Time to handle and commit one poll's batch (every partition it returned)",
    ["service"],
)
relayed = Counter("reach_outbox_relayed", "Outbox rows published to Kafka", ["service", "topic"])
outbox_pending = Gauge("reach_outbox_pending", "Outbox rows not yet published", ["service"])
