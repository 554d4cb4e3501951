"""API fuzzing: schemathesis against every operation of every service's OpenAPI, over real HTTP.

The five services run once for this module as real processes on the shared Kafka and on
PostgreSQL (NUL bytes and long strings bite there, not on SQLite). Every operation gets inputs
that fit its schema and inputs that do not; whatever it is sent, no answer is a 5xx, and every
4xx has a JSON body whose `detail` says why (a 422 also says where: `loc`). Authentication is
off in test mode (every caller is an admin); tests/test_auth.py covers who may call what.

Bounded for CI: a few seeded examples per operation, so a run is reproducible. No operation is
excluded.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest
import requests
import schemathesis
from reach_runtime.stack import SERVICES, Broker, Stack
from reach_runtime.testing import create_database, drop_database
from schemathesis.checks import not_a_server_error

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.system]

SEED = 20261126
# Per operation, in the fuzzing phase (the coverage phase adds its boundary cases); a deeper
# local run: REACH_FUZZ_EXAMPLES=200 uv run pytest tests/test_api_fuzz.py
EXAMPLES = int(os.environ.get("REACH_FUZZ_EXAMPLES", "15"))


@pytest.fixture(scope="module")
async def stack(
    kafka_bootstrap: str, postgres_server: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    broker = Broker(kafka_bootstrap, f"t{uuid.uuid4().hex[:10]}.")
    urls = {name: await create_database(postgres_server) for name in SERVICES}
    stack = Stack(
        kafka_bootstrap=kafka_bootstrap,
        database_urls=urls,
        log_dir=tmp_path_factory.mktemp("fuzz") / "logs",
        env={"REACH_ENV": "test", "KAFKA_TOPIC_PREFIX": broker.prefix, "LOG_LEVEL": "WARNING"},
    )
    stack.start()
    try:
        await stack.wait_ready()
        yield stack
    finally:
        stack.stop()
        for url in urls.values():
            await drop_database(url)
        await broker.delete_topics()


@pytest.fixture(params=SERVICES)
def api(request: pytest.FixtureRequest, stack: Stack) -> schemathesis.BaseSchema:
    """One service's OpenAPI as it serves it, seeded and bounded."""
    config = schemathesis.Config(seed=SEED)
    project = config.projects.default
    project.update(request_timeout=30)
    project.generation.update(max_examples=EXAMPLES, deterministic=True, database="none")
    return schemathesis.openapi.from_url(f"{stack.url(request.param)}/openapi.json", config=config)


def _says_why(entry: Any, *, status: int) -> str | None:
    """What is missing from one `detail` entry, or None when it says why."""
    if isinstance(entry, str):
        return None if entry.strip() else "an empty message"
    if not isinstance(entry, dict):
        return f"a {type(entry).__name__} instead of a message"
    if not str(entry.get("msg", "")).strip():
        return "an entry with no `msg`"
    if status == 422 and not entry.get("loc"):
        return "a 422 entry with no `loc`"
    return None


def a_refusal_says_why(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """Every 4xx has a JSON body whose `detail` is a message, or a list of `msg` (with `loc` on a 422)."""
    if not 400 <= response.status_code < 500:
        return None
    where = (
        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]!r}"
    )
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"a refusal whose body is not JSON: {where}") from None
    detail = body.get("detail") if isinstance(body, dict) else None
    entries = detail if isinstance(detail, list) else [detail]
    if detail is None or not entries:
        raise AssertionError(f"a refusal with no `detail`: {where}")
    for entry in entries:
        missing = _says_why(entry, status=response.status_code)
        if missing:
            raise AssertionError(f"a refusal with {missing}: {where}")
    return True


@pytest.mark.parametrize(
    ("status", "body", "says_why"),
    [
        (404, {"detail": [{"loc": ["body", "campaign_id"], "msg": "no campaign C9"}]}, True),
        (404, {"detail": "Not Found"}, True),
        (422, {"detail": [{"loc": ["query", "limit"], "msg": "at most 500"}]}, True),
        (404, {"detail": ""}, False),
        (409, {"detail": [{"loc": ["body"], "msg": " "}]}, False),
        (422, {"detail": [{"msg": "invalid"}]}, False),
        (400, {"error": "bad"}, False),
        (400, "bad", False),
    ],
)
def test_the_refusal_check_fails_a_4xx_that_does_not_say_why(
    status: int, body: Any, says_why: bool
) -> None:
    if says_why:
        assert refusal(status, json.dumps(body)) is True
    else:
        with pytest.raises(AssertionError):
            refusal(status, json.dumps(body))
    with pytest.raises(AssertionError, match="not JSON"):
        refusal(status, "Bad Request")


def refusal(status: int, text: str) -> bool | None:
    """The check run on a response to GET /campaigns/C9 with this status and body."""
    request = requests.Request("GET", "http://service/campaigns/C9").prepare()
    headers = {"content-type": ["application/json"]}
    response = schemathesis.Response(status, headers, text.encode(), request, 0.01, verify=True)
    case: Any = SimpleNamespace(method="GET", formatted_path="/campaigns/C9")
    return a_refusal_says_why(None, response, case)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    # schemathesis 4.32 names each operation's subtest by rewriting `node._nodeid`, which
    # pytest 9.2 no longer has (it keeps a structured `_id`); give it the attribute it reads.
    request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("api")


@schema.parametrize()
def test_no_input_gets_a_server_error_and_every_refusal_says_why(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=[not_a_server_error, a_refusal_says_why])
