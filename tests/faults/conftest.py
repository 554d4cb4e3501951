"""The fault suite's own Kafka and PostgreSQL: it stops and starts them, so it never uses the
shared test servers. Ports FAULTS_KAFKA_PORT (19192) and FAULTS_PG_PORT (55532); data under
.local/; both are stopped at the end of the session unless FAULTS_KEEP_SERVERS=1."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KAFKA_PORT = int(os.environ.get("FAULTS_KAFKA_PORT", "19192"))
PG_PORT = int(os.environ.get("FAULTS_PG_PORT", "55532"))


@dataclass(frozen=True)
class Servers:
    """A broker and a database server that belong to this suite alone."""

    kafka_env: dict[str, str]
    pg_env: dict[str, str]

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_env['KAFKA_PORT']}"

    @property
    def postgres_url(self) -> str:
        return f"postgresql+asyncpg://reach:reach@127.0.0.1:{self.pg_env['PG_PORT']}/postgres"

    def kafka(self, command: str) -> None:
        subprocess.run(
            [str(ROOT / "infra/kafka/kafka.sh"), command],
            env=self.kafka_env,
            check=True,
            capture_output=True,
        )

    def postgres(self, command: str) -> None:
        for attempt in range(5):  # the port of a server that just stopped may still be held
            done = subprocess.run(
                [str(ROOT / "infra/postgres/postgres.sh"), command],
                env=self.pg_env,
                check=False,
                capture_output=True,
            )
            if done.returncode == 0:
                return
            time.sleep(2 * (attempt + 1))
        done.check_returncode()


@pytest.fixture(scope="session")
def fault_servers() -> Iterator[Servers]:
    servers = Servers(
        kafka_env={
            **os.environ,
            "KAFKA_PORT": str(KAFKA_PORT),
            "KAFKA_DATA_DIR": str(ROOT / ".local" / f"faults-kafka-{KAFKA_PORT}"),
            "KAFKA_HEAP": os.environ.get("FAULTS_KAFKA_HEAP", "-Xms128m -Xmx768m"),
        },
        pg_env={
            **os.environ,
            "PG_PORT": str(PG_PORT),
            "PG_DATA_DIR": str(ROOT / ".local" / f"faults-postgres-{PG_PORT}"),
        },
    )
    servers.kafka("start")
    servers.postgres("start")
    try:
        yield servers
    finally:
        if not os.environ.get("FAULTS_KEEP_SERVERS"):
            servers.kafka("stop")
            servers.postgres("stop")
