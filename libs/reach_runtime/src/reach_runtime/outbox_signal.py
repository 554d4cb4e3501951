"""Waking the relay of another process when outbox rows commit (PostgreSQL LISTEN/NOTIFY).

In the `all` role a commit wakes the relay of its own process. Deployed as separate roles (api,
consume, relay: the Helm chart), the process that commits has no relay, and its events would
wait for the relay's next poll (`RELAY_POLL_INTERVAL_MS`) at every hop. So such a process sends
a NOTIFY after the commit and the relay process LISTENs.

The NOTIFY is its own statement after the commit, not part of the transaction: PostgreSQL
serializes the commits of notifying transactions on one lock, which would make every batch wait
for the others'. Commits coalesce (one NOTIFY in flight, one more if others committed
meanwhile). A NOTIFY lost to a failure costs only the poll interval: the poll stays.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

CHANNEL = "reach_outbox"  # each service has a database of its own, so one name serves all
_NOTIFY = text(f"SELECT pg_notify('{CHANNEL}', '')")


class OutboxSignal:
    """Tells a relay listening on the same database that outbox rows were committed."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sending: asyncio.Task[None] | None = None
        self._again = False

    def send(self) -> None:
        """Called after a commit that wrote outbox rows; returns at once."""
        if self._sending is not None and not self._sending.done():
            self._again = True  # the one in flight may have gone before this commit
            return
        self._sending = asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        """NOTIFY until no commit came in while the last one was on its way."""
        self._again = True
        while self._again:
            self._again = False
            if not await self._notify_once():
                return

    async def _notify_once(self) -> bool:
        """One NOTIFY; a pooled connection a failover ended fails once, and the retry gets a
        new one. False (and a warning) if both tries fail."""
        for attempt in (1, 2):
            try:
                async with self._engine.connect() as connection:
                    autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                    await autocommit.execute(_NOTIFY)
                return True
            except Exception as error:
                if attempt == 2:
                    log.warning(
                        "outbox notify failed; the relay's poll will find the rows",
                        extra={"fields": {"error": repr(error)}},
                    )
        return False

    async def close(self) -> None:
        """Let a NOTIFY in flight finish (briefly) before the engine goes."""
        if self._sending is not None and not self._sending.done():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._sending, timeout=2)


async def listen(database_url: str, wake: Callable[[], None], *, retry_s: float = 5) -> None:
    """Call `wake` on every NOTIFY on the channel until cancelled; reconnects after a failure.

    The listener holds a connection of its own, outside the pools. It wakes once on every
    (re)connection too: rows may have committed while nobody listened."""
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    while True:
        try:
            await _listen_until_closed(dsn, wake)
            log.warning("outbox listener's connection closed; reconnecting")
        except Exception as error:
            log.warning(
                "outbox listener failed; reconnecting", extra={"fields": {"error": repr(error)}}
            )
        await asyncio.sleep(retry_s)


async def _listen_until_closed(dsn: str, wake: Callable[[], None]) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        closed = asyncio.Event()
        connection.add_termination_listener(lambda _: closed.set())
        await connection.add_listener(CHANNEL, lambda *_: wake())
        wake()
        await closed.wait()
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(connection.close(), timeout=2)
