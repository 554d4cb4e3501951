"""The five services as real processes on this machine: for the demo and the system tests."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx

SERVICES = ("profile", "segmenter", "campaign", "notifier", "analytics")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Stack:
    """Starts `python -m reach_<name> all` for each service with its own port and database."""

    kafka_bootstrap: str
    database_urls: dict[str, str]
    log_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    _processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def start(self, *services: str) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for name in services or SERVICES:
            self.ports.setdefault(name, free_port())
            env = {
                **os.environ,
                "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap,
                "DATABASE_URL": self.database_urls[name],
                "HTTP_PORT": str(self.ports[name]),
                **self.env,
            }
            log = (self.log_dir / f"{name}.log").open("ab")
            self._processes[name] = subprocess.Popen(
                [sys.executable, "-m", f"reach_{name}", "all"], env=env, stdout=log, stderr=log,
            )

    async def wait_ready(self, timeout_s: float = 120) -> None:
        """Until every service answers /readyz with 200; fails with the log tail of a dead one."""
        async with httpx.AsyncClient(timeout=2) as client:
            async with asyncio.timeout(timeout_s):
                for name in self._processes:
                    while True:
                        self._raise_if_dead(name)
                        try:
                            if (await client.get(f"{self.url(name)}/readyz")).status_code == 200:
                                break
                        except httpx.HTTPError:
                            pass
                        await asyncio.sleep(0.3)

    def _raise_if_dead(self, name: str) -> None:
        process = self._processes[name]
        if process.poll() is not None:
            tail = (self.log_dir / f"{name}.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{tail}")

    def kill(self, name: str) -> None:
        """kill -9: no shutdown code runs."""
        self._processes[name].kill()
        self._processes[name].wait()

    def stop(self, timeout_s: float = 20) -> None:
        for process in self._processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self._processes.values():
            try:
                process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
