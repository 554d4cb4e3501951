"""Authentication and roles on every route of every service, with AUTH_MODE=on.

The walk covers the routes each app really has, so a new route is tested the day it lands (and
an app with a route that declares no roles does not even build: `check_routes`).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
import pytest
from reach_analytics.bootstrap import bootstrap as analytics
from reach_analytics.settings import AnalyticsSettings
from reach_campaign.bootstrap import bootstrap as campaign
from reach_campaign.settings import CampaignSettings
from reach_notifier.bootstrap import bootstrap as notifier
from reach_notifier.settings import NotifierSettings
from reach_profile.bootstrap import bootstrap as profile
from reach_profile.settings import ProfileSettings
from reach_runtime.auth import Public, Role, admitted, api_routes
from reach_runtime.stack import Broker
from reach_runtime.testing import eventually, running
from reach_segmenter.bootstrap import bootstrap as segmenter
from reach_segmenter.settings import SegmenterSettings
from reach_sim import builders as make

pytestmark = [pytest.mark.kafka]

SECRET = "test-secret-of-the-identity-provider-0123456789"
ISSUER = "https://sso.example-broker.cn/realms/staff"
UPSTREAM_KEY = "app-backend-key-6f1c"
SERVICES = {
    "profile": (profile, ProfileSettings),
    "segmenter": (segmenter, SegmenterSettings),
    "campaign": (campaign, CampaignSettings),
    "notifier": (notifier, NotifierSettings),
    "analytics": (analytics, AnalyticsSettings),
}


def token(subject: str, *roles: str, **claims: Any) -> dict[str, str]:
    payload = {
        "sub": subject,
        "iss": ISSUER,
        "aud": "reach",
        "exp": int(time.time()) + 300,
        "roles": list(roles),
        **claims,
    }
    return {"Authorization": f"Bearer {jwt.encode(payload, SECRET, algorithm='HS256')}"}


def auth_settings(cls: type, database_url: str, broker: Broker) -> Any:
    return cls(
        reach_env="test",
        database_url=database_url,
        kafka_bootstrap_servers=broker.bootstrap,
        kafka_topic_prefix=broker.prefix,
        auth_mode="on",
        auth_jwt_key=SECRET,
        auth_jwt_algorithms=["HS256"],
        auth_jwt_issuer=ISSUER,
        auth_api_keys={
            hashlib.sha256(UPSTREAM_KEY.encode()).hexdigest(): {
                "name": "app-backend",
                "roles": ["upstream"],
            }
        },
    )


def concrete(path: str) -> str:
    """The route's path with each parameter filled with a plausible id."""
    return re.sub(r"\{[^}]+\}", "X1", path)


async def call(http: httpx.AsyncClient, route: Any, headers: dict[str, str]) -> int:
    method = sorted(route.methods - {"HEAD"})[0]
    body = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
    response = await http.request(method, concrete(route.path), headers=headers, **body)
    if response.status_code in (401, 403):
        assert response.json()["detail"][0]["msg"], response.text  # it says why
    return response.status_code


def misread_as_query(route: Any) -> list[str]:
    """Auth parameters FastAPI took for query parameters (an annotation it could not resolve):
    such a route answers 422 to everyone, so the role walk alone would not notice."""
    names, stack = [], [route.dependant]
    while stack:
        dependant = stack.pop()
        names += [f.name for f in dependant.query_params]
        stack.extend(dependant.dependencies)
    return [n for n in names if n in ("principal", "subject")]


@pytest.fixture(params=sorted(SERVICES))
async def service(
    request: pytest.FixtureRequest, sqlite_url: str, broker: Broker
) -> AsyncIterator[tuple[str, Any, httpx.AsyncClient]]:
    build, settings_class = SERVICES[request.param]
    async with running(build(auth_settings(settings_class, sqlite_url, broker))) as (_, http):
        app = http._transport.app  # type: ignore[attr-defined]
        yield request.param, app, http


async def test_every_route_refuses_no_token_and_wrong_roles_and_admits_its_roles(
    service: tuple[str, Any, httpx.AsyncClient],
) -> None:
    name, app, http = service
    routes = api_routes(app)
    assert all(admitted(r) is not None for r in routes)
    guarded = [r for r in routes if not isinstance(admitted(r), Public)]
    assert guarded, f"{name} has no guarded route"
    assert not [(r.path, misread_as_query(r)) for r in routes if misread_as_query(r)]
    for route in guarded:
        roles = admitted(route)
        label = f"{name} {sorted(route.methods)} {route.path}"
        assert await call(http, route, {}) == 401, label
        outsiders = sorted(set(Role) - roles)
        if outsiders:
            assert await call(http, route, token("eve", outsiders[0])) == 403, label
        for role in sorted(roles):
            status = await call(http, route, token("ann", role, advisor_id="ADV001"))
            assert status not in (401, 403), f"{label} as {role}: {status}"
    for route in routes:
        if isinstance(admitted(route), Public) and "GET" in route.methods:
            assert await call(http, route, {}) not in (401, 403), route.path


async def test_tokens_are_verified_signature_issuer_audience_and_expiry(
    sqlite_url: str, broker: Broker
) -> None:
    async with running(segmenter(auth_settings(SegmenterSettings, sqlite_url, broker))) as (_, h):
        good = token("ann", "campaign_editor")
        assert (await h.get("/segments", headers=good)).status_code == 200
        bad = {
            "signature": {
                "Authorization": "Bearer "
                + jwt.encode(
                    {"sub": "ann", "iss": ISSUER, "aud": "reach", "exp": time.time() + 60},
                    "another-secret-0123456789-0123456789",
                    algorithm="HS256",
                )
            },
            "issuer": token("ann", "campaign_editor", iss="https://evil.example"),
            "audience": token("ann", "campaign_editor", aud="someone-else"),
            "expiry": token("ann", "campaign_editor", exp=int(time.time()) - 3600),
            "garbage": {"Authorization": "Bearer not.a.jwt"},
        }
        for what, headers in bad.items():
            response = await h.get("/segments", headers=headers)
            assert response.status_code == 401, what
            assert "invalid bearer token" in response.json()["detail"][0]["msg"], what
        unsigned = jwt.encode(
            {
                "sub": "ann",
                "iss": ISSUER,
                "aud": "reach",
                "exp": time.time() + 60,
                "roles": ["ops_admin"],
            },
            None,
            algorithm="none",
        )
        forged = await h.get("/segments", headers={"Authorization": f"Bearer {unsigned}"})
        assert forged.status_code == 401


async def test_an_upstream_system_reads_inboxes_with_its_api_key_and_nothing_else(
    sqlite_url: str, broker: Broker
) -> None:
    async with running(notifier(auth_settings(NotifierSettings, sqlite_url, broker))) as (_, h):
        key = {"X-API-Key": UPSTREAM_KEY}
        assert (await h.get("/inbox", params={"client_id": "C1"}, headers=key)).status_code == 200
        assert (await h.get("/sends", headers=key)).status_code == 403
        wrong = await h.get("/inbox", params={"client_id": "C1"}, headers={"X-API-Key": "guess"})
        assert wrong.status_code == 401


async def test_an_advisor_sees_only_their_own_clients_portraits(
    sqlite_url: str, broker: Broker
) -> None:
    at = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    async with running(profile(auth_settings(ProfileSettings, sqlite_url, broker))) as (_, h):
        for client, advisor in (("C1", "ADV001"), ("C2", "ADV002")):
            await broker.publish(
                "accounts.events.v1",
                make.account_opened(client, at, advisor_id=advisor),
            )
        mine = token("adv-one", "advisor", advisor_id="ADV001")
        staff = token("ops", "ops_admin")

        async def both_there() -> bool:
            r = await h.get("/portraits", headers=staff)
            return {p["client_id"] for p in r.json()} == {"C1", "C2"}

        await eventually(both_there)
        assert (await h.get("/portraits/C1", headers=mine)).status_code == 200
        other = await h.get("/portraits/C2", headers=mine)
        assert other.status_code == 404  # as if it did not exist
        assert (await h.get("/portraits/C2/history", headers=mine)).status_code == 404
        listed = (await h.get("/portraits", headers=mine)).json()
        assert [p["client_id"] for p in listed] == ["C1"]
        asked_for_other = await h.get("/portraits", params={"advisor_id": "ADV002"}, headers=mine)
        assert asked_for_other.json() == []
        assert (await h.get("/portraits/C2", headers=staff)).status_code == 200


async def test_the_audit_names_the_token_subject_and_a_bi_reader_cannot_change_anything(
    sqlite_url: str, broker: Broker
) -> None:
    fund = {
        "id": "F006011",
        "name": "稳健债券基金 A",
        "kind": "product",
        "purpose": "marketing",
        "risk_level": "R2",
    }
    async with running(campaign(auth_settings(CampaignSettings, sqlite_url, broker))) as (_, h):
        assert (await h.post("/catalogue", json=fund)).status_code == 401
        reader = token("bob", "bi_reader")
        assert (await h.post("/catalogue", json=fund, headers=reader)).status_code == 403
        assert (await h.get("/catalogue", headers=reader)).status_code == 200
        assert (await h.get("/audit", headers=reader)).status_code == 403
        compliance = token("carol@broker", "compliance")
        created = await h.post(
            "/catalogue", json=fund, headers=compliance | {"X-Reach-Actor": "mallory"}
        )
        assert created.status_code == 201, created.text
        trail = (await h.get("/audit", headers=compliance)).json()
        assert [(e["actor"], e["entity_id"]) for e in trail] == [("carol@broker", "F006011")]


async def test_segment_versions_and_archiving_name_the_editor_from_the_token(
    sqlite_url: str, broker: Broker
) -> None:
    rule = {"field": "total_assets", "op": "gte", "value": 10000}
    async with running(segmenter(auth_settings(SegmenterSettings, sqlite_url, broker))) as (_, h):
        ann, dan = token("ann", "campaign_editor"), token("dan", "ops_admin")
        body = {"name": "funded", "description": "", "rule": rule}
        assert (
            await h.post("/segments", json=body, headers=token("bob", "bi_reader"))
        ).status_code == 403
        created = await h.post("/segments", json=body, headers=ann | {"X-Reach-Actor": "mallory"})
        assert created.status_code == 202, created.text
        segment_id = created.json()["id"]
        edited = await h.put(f"/segments/{segment_id}", json={"rule": rule}, headers=dan)
        assert edited.status_code == 202, edited.text
        versions = (await h.get(f"/segments/{segment_id}/versions", headers=ann)).json()
        assert sorted((v["version"], v["created_by"]) for v in versions) == [(1, "ann"), (2, "dan")]
        archived = await h.post(f"/segments/{segment_id}/archive", headers=ann)
        assert archived.json()["archived_by"] == "ann"
