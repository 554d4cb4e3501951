"""No phone number or e-mail address of a client leaves the notifier's send path: a simulated day
through the five services, then its logs, traces, dead letters, metrics and analytics exports are
searched for every contact of the simulated population (QUALITY.md, Security)."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from reach_contracts import DEAD_LETTER_TOPIC
from reach_runtime.stack import SERVICES, Broker
from reach_sim.output import publish

from .faults.system import Simulation, SpanCollector, World, read_all, running_system

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.system]

PHONE = re.compile(rb"(?<!\d)(?:\+?86)?(1[3-9]\d{9})(?!\d)")  # a mainland mobile, +86 or not
EMAIL = re.compile(rb"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


@dataclass
class ContactScanner:
    """Finds the population's own contacts in bytes (masked forms such as 138****8000 do not match)."""

    phones: set[str]
    emails: set[str]

    @classmethod
    def of(cls, simulation: Simulation) -> ContactScanner:
        phones, emails = simulation.contacts()
        return cls({p.removeprefix("+86") for p in phones}, {e.lower() for e in emails})

    def find(self, data: bytes) -> set[str]:
        found = {m.decode() for m in PHONE.findall(data)} & self.phones
        return found | ({m.decode().lower() for m in EMAIL.findall(data)} & self.emails)


async def _exports(world: World) -> dict[str, bytes]:
    """What each service says over HTTP to the outside: /metrics of all five, and every GET of
    the analytics API (results, BI exports) for each campaign."""
    found: dict[str, bytes] = {}
    async with httpx.AsyncClient(timeout=30) as http:
        for name in SERVICES:
            found[f"{name} /metrics"] = (await http.get(f"{world.stack.url(name)}/metrics")).content
        analytics = world.stack.url("analytics")
        spec = (await http.get(f"{analytics}/openapi.json")).json()
        for path, operations in spec["paths"].items():
            if "get" not in operations:
                continue
            for url in _urls(path, operations["get"], spec, world):
                response = await http.get(analytics + url, params=_page(operations["get"]))
                found[f"analytics GET {url} ({response.status_code})"] = response.content
    return found


def _urls(path: str, operation: dict, spec: dict, world: World) -> list[str]:
    """The path with each of its parameters filled in every way we can: campaign ids, and
    each value of an enumerated parameter (BI dataset names…); [] when one cannot be filled."""
    urls = [path]
    for parameter in operation.get("parameters", []):
        if parameter["in"] != "path":
            continue
        schema = parameter.get("schema", {})
        if "$ref" in schema:
            schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        values = (
            list(world.campaigns.values())
            if parameter["name"] == "campaign_id"
            else schema.get("enum", [])
        )
        name = "{" + parameter["name"] + "}"
        urls = [u.replace(name, str(v)) for u in urls for v in values]
    return urls


def _page(operation: dict) -> dict[str, int]:
    """The largest page where the operation is paged."""
    names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
    return {"limit": 1000} if "limit" in names else {}


def test_the_scanner_finds_a_planted_contact(tmp_path: Path) -> None:
    simulation = Simulation.of(clients=50, days=1, seed=3)
    scanner = ContactScanner.of(simulation)
    phone = next(c.phone for c in simulation.clients if c.phone)
    email = next(c.email for c in simulation.clients if c.email)
    control = tmp_path / "control.log"
    control.write_text(
        f'{{"msg": "sending", "to": "{phone}", "cc": "{email.upper()}", "masked": "138****8000"}}\n'
    )
    assert scanner.find(control.read_bytes()) == {phone.removeprefix("+86"), email}
    assert scanner.find(b'{"to": "+86138****1234", "email": "c***@mail.example"}') == set()


async def test_a_simulated_day_shows_no_client_contact_outside_the_send_path(
    broker: Broker, postgres_server: str, tmp_path: Path
) -> None:
    simulation = Simulation.of(clients=300, days=1, seed=5)
    scanner = ContactScanner.of(simulation)
    with SpanCollector() as spans:
        async with running_system(
            bootstrap=broker.bootstrap,
            server_url=postgres_server,
            prefix=broker.prefix,
            log_dir=tmp_path / "logs",
            env={"OTEL_EXPORTER_OTLP_ENDPOINT": spans.url, "RETRY_BASE_S": "0.2"},
        ) as world:
            fakes = world.providers
            fakes.sms.fail_next(3)  # error paths log too
            fakes.smtp.refusing = "451 4.3.0 mailbox busy, try again later"
            # Upstream sends a broken contact change: it is dead-lettered, contact and all.
            victim = next(c for c in simulation.clients if c.phone and c.email)
            await world.broker.publish(
                "accounts.events.v1",
                b'{"event_type": "account.contact_changed", "client_id": "%s", '
                b'"payload": {"phone": "%s", "email": "%s"}}'
                % (victim.client_id.encode(), victim.phone.encode(), victim.email.encode()),
                key=victim.client_id,
            )
            await publish(
                simulation.events,
                bootstrap=broker.bootstrap,
                prefix=broker.prefix,
                progress=False,
            )
            await asyncio.sleep(3)
            fakes.smtp.refusing = None
            assert await world.drained(timeout_s=240) is not None
            replier = next(
                c.phone
                for c in simulation.clients
                if c.phone and c.phone in {r.address for r in fakes.sms.requests}
            )
            assert fakes.sms.reply(replier, "T") == 200  # an opt-out by SMS reply
            assert await world.drained(timeout_s=120) is not None
            assert fakes.smtp.received and fakes.sms.accepted, "the day sent nothing"

            searched = await _exports(world)
            exported = [k for k in searched if "/bi/" in k and "(200)" in k]
            assert exported, f"no BI export was read: {sorted(searched)}"
            dead = await read_all(broker.bootstrap, broker.prefix + DEAD_LETTER_TOPIC)
            assert dead, "the broken contact change was not dead-lettered"
            for n, record in enumerate(dead):
                searched[f"dead letter {n}"] = record.value + b"".join(
                    k.encode() + v for k, v in record.headers
                )
        await asyncio.sleep(1)  # the last spans, flushed as the services stopped
    for log in sorted((tmp_path / "logs").glob("*.log")):
        searched[f"log {log.name}"] = log.read_bytes()
    assert spans.bodies, "no spans were exported"
    searched["spans"] = b"".join(spans.bodies)

    leaks = {
        where: sorted(found) for where, data in searched.items() if (found := scanner.find(data))
    }
    assert leaks == {}
