"""bench/replicate.py, which makes the pipeline benchmark's 1M population out of 10k: every copy
of a client must be that client under a new id, or the benchmark measures something else."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from replicate import copy_id, replicate, spread

pytestmark = pytest.mark.postgres

SCHEMA = [
    # per client, a document naming the client, a serial row number
    "CREATE TABLE portraits (client_id varchar PRIMARY KEY, state json NOT NULL)",
    "CREATE TABLE history (id bigserial PRIMARY KEY, client_id varchar NOT NULL,"
    " cause varchar NOT NULL, segment_id varchar NOT NULL)",
    # per send, keyed by an idempotency key, without a client id
    "CREATE TABLE receipts (idempotency_key varchar, status varchar,"
    " PRIMARY KEY (idempotency_key, status))",
    # a definition, shared by every copy
    "CREATE TABLE segments (id varchar PRIMARY KEY, name varchar NOT NULL)",
    # the runtime's inbox: not client state
    "CREATE TABLE reach_inbox (consumer_group varchar, event_id varchar,"
    " PRIMARY KEY (consumer_group, event_id))",
]
ROWS = [
    "INSERT INTO portraits VALUES"
    ' (\'C00000001\', \'{"client_id": "C00000001", "cash": "10"}\'),'
    ' (\'C00000002\', \'{"client_id": "C00000002", "cash": "20"}\')',
    "INSERT INTO history (client_id, cause, segment_id) VALUES"
    " ('C00000001', 'e-1', 'S1'), ('C00000002', 'e-2', 'S1')",
    "INSERT INTO receipts VALUES ('send-1', 'delivered')",
    "INSERT INTO segments VALUES ('S1', 'dormant')",
    "INSERT INTO reach_inbox VALUES ('profile', 'e-1')",
]


async def test_every_copy_is_its_client_under_a_new_id(postgres_url: str) -> None:
    engine = create_async_engine(postgres_url)
    try:
        async with engine.begin() as connection:
            for statement in SCHEMA + ROWS:
                await connection.execute(text(statement))

        counts = await replicate(postgres_url, clients=2, copies=3, log=lambda _: None)

        assert counts == {"portraits": 4, "history": 4, "receipts": 2}
        async with engine.connect() as connection:
            portraits = dict(
                (await connection.execute(text("SELECT client_id, state FROM portraits"))).all()
            )
            history = sorted(
                tuple(row)
                for row in await connection.execute(
                    text("SELECT client_id, cause, segment_id FROM history")
                )
            )
            receipts = (await connection.execute(text("SELECT * FROM receipts"))).all()
            segments = (await connection.execute(text("SELECT count(*) FROM segments"))).scalar()
            inbox = (await connection.execute(text("SELECT count(*) FROM reach_inbox"))).scalar()
    finally:
        await engine.dispose()

    assert sorted(portraits) == [
        "C00000001", "C00000002", "C00000003", "C00000004", "C00000005", "C00000006",
    ]  # fmt: skip
    copy = portraits["C00000005"]
    copy = json.loads(copy) if isinstance(copy, str) else copy
    assert copy == {"client_id": "C00000005", "cash": "10"}  # copy 2 of client 1, named so
    assert ("C00000004", "e-2~1", "S1") in history  # copy 1 of client 2: unique cause, same segment
    assert len({row[1] for row in history}) == 6
    assert sorted(r.idempotency_key for r in receipts) == ["send-1", "send-1~1", "send-1~2"]
    assert (segments, inbox) == (1, 1)  # definitions and the runtime's tables are not copied


def test_events_are_spread_over_the_copies_of_their_client() -> None:
    value = b'{"event_id":"e-1","client_id":"C00000002","payload":{"account_id":"A00000002"}}'
    messages = [("trading.logins.v1", b"C00000002", value, "login.succeeded")] * 200

    spread_out = spread(messages, clients=10, copies=4, seed=1)

    keys = {key for _, key, _, _ in spread_out}
    assert keys == {copy_id("C00000002", k, 10).encode() for k in range(4)}
    for _, key, moved, _ in spread_out:
        event = json.loads(moved)
        assert event["client_id"] == key.decode()
        assert event["payload"] == {"account_id": "A00000002"}  # only the envelope moves
