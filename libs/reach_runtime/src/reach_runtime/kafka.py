"""Kafka clients with the settings Reach relies on, stated explicitly (aiokafka's defaults are weak)."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from reach_runtime.settings import ServiceSettings


def new_producer(settings: ServiceSettings, *, client_id: str | None = None) -> AIOKafkaProducer:
    """An idempotent producer that waits for all in-sync replicas."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=client_id or f"reach-{settings.service_name}",
        acks="all",
        enable_idempotence=True,
        # The relay appends a whole batch of sends before it yields, so they are batched
        # without lingering; a linger would only hold every batch back that long.
        linger_ms=0,
        request_timeout_ms=30_000,
        retry_backoff_ms=200,
    )


async def ensure_topics(
    bootstrap_servers: str,
    names: list[str],
    *,
    partitions: int = 4,
    compacted: frozenset[str] = frozenset(),
) -> None:
    """Create the topics that are missing (compacted where asked); existing ones are left alone."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                name,
                num_partitions=partitions,
                replication_factor=1,
                topic_configs={"cleanup.policy": "compact"} if name in compacted else {},
            )
            for name in names
            if name not in existing
        ]
        if wanted:
            try:
                await admin.create_topics(wanted)
            except TopicAlreadyExistsError:
                pass
    finally:
        await admin.close()


async def partitions_of(bootstrap_servers: str, names: list[str]) -> list[TopicPartition]:
    """Every partition of the named topics that exist."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        described = await admin.describe_topics(names)
    finally:
        await admin.close()
    return sorted(
        TopicPartition(t["topic"], p["partition"])
        for t in described
        if not t.get("error_code")
        for p in t["partitions"]
    )
