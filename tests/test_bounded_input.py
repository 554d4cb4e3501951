"""Bounded input: an oversize body, a huge page or a deep rule gets a 4xx that says why, at once.

Every service, every route that pages: walked from the apps themselves, so a new one is covered.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from reach_runtime.auth import api_routes
from reach_runtime.stack import Broker
from reach_runtime.testing import running

from tests.test_auth import SERVICES

pytestmark = [pytest.mark.kafka]


@pytest.fixture(params=sorted(SERVICES))
async def service(
    request: pytest.FixtureRequest, sqlite_url: str, broker: Broker
) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    build, settings_class = SERVICES[request.param]
    settings = settings_class(
        reach_env="test",
        database_url=sqlite_url,
        kafka_bootstrap_servers=broker.bootstrap,
        kafka_topic_prefix=broker.prefix,
        http_max_body_bytes=64 * 1024,
    )
    async with running(build(settings)) as (_, http):
        yield http._transport.app, http  # type: ignore[attr-defined]


def params_of(route: Any) -> set[str]:
    names, stack = set(), [route.dependant]
    while stack:
        dependant = stack.pop()
        names |= {f.alias for f in dependant.query_params}
        stack.extend(dependant.dependencies)
    return names


async def test_a_body_over_the_limit_is_refused_before_it_is_read(
    service: tuple[Any, httpx.AsyncClient],
) -> None:
    app, http = service
    writes = [r for r in api_routes(app) if r.methods & {"POST", "PUT"}]
    assert writes
    big = b'{"rule": "' + b"x" * (65 * 1024) + b'"}'
    for route in writes:
        path = re.sub(r"\{[^}]+\}", "X1", route.path)
        method = sorted(route.methods & {"POST", "PUT"})[0]
        response = await http.request(
            method, path, content=big, headers={"content-type": "application/json"}
        )
        assert response.status_code == 413, (route.path, response.status_code)
        assert "65536 bytes" in response.json()["detail"][0]["msg"]

    async def streamed() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(100):
            yield b" " * 1024

    readers = [r for r in writes if r.dependant.body_params]  # routes that read the body
    if not readers:
        return
    route = readers[0]
    response = await http.request(
        sorted(route.methods & {"POST", "PUT"})[0],
        re.sub(r"\{[^}]+\}", "X1", route.path),
        content=streamed(),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413


async def test_every_paged_route_refuses_a_huge_page(
    service: tuple[Any, httpx.AsyncClient],
) -> None:
    app, http = service
    paged = [r for r in api_routes(app) if "GET" in r.methods and "limit" in params_of(r)]
    for route in paged:
        path = re.sub(r"\{[^}]+\}", "X1", route.path)
        response = await http.get(path, params={"limit": 10**9})
        assert response.status_code == 422, (route.path, response.text)
        assert any(d["loc"][-1] == "limit" for d in response.json()["detail"]), response.text


async def test_a_rule_too_deep_is_refused_with_the_path_of_the_node(
    sqlite_url: str, broker: Broker
) -> None:
    build, settings_class = SERVICES["segmenter"]
    settings = settings_class(
        reach_env="test",
        database_url=sqlite_url,
        kafka_bootstrap_servers=broker.bootstrap,
        kafka_topic_prefix=broker.prefix,
    )
    rule: dict = {"field": "total_assets", "op": "gte", "value": 1}
    for _ in range(50):
        rule = {"not": rule}
    async with running(build(settings)) as (_, http):
        response = await http.post("/segments/preview", json={"rule": rule})
        assert response.status_code == 422
        assert "deep" in json.dumps(response.json()).lower()
