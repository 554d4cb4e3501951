"""A NUL character in a path or a query is refused with a 422 that says where, before any route
runs: PostgreSQL text cannot hold it, so it would otherwise fail in the database as a 500."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from reach_runtime.http import NoNul


def app() -> FastAPI:
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def item(item_id: str, owner: str | None = None) -> dict[str, str | None]:
        return {"item_id": item_id, "owner": owner}

    app.add_middleware(NoNul)
    return app


async def get(path: str, **params: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app())
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as http:
        return await http.get(path, params=params)


async def test_a_nul_in_the_path_is_a_422_naming_the_path() -> None:
    response = await get("/items/a%00b")
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": ["path"], "msg": "the NUL character (%00) is not accepted in a path or a query"}
    ]


async def test_a_nul_in_a_query_parameter_is_a_422_naming_the_parameter() -> None:
    response = await get("/items/a1", owner="x\x00y")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "owner"]


async def test_text_without_nul_reaches_the_route_unchanged() -> None:
    response = await get("/items/%E5%80%BA%2500", owner="客户 %00 as text")
    assert response.status_code == 200
    assert response.json() == {"item_id": "债%00", "owner": "客户 %00 as text"}
