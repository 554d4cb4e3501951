"""The HTTP side every service shares: health, readiness, metrics, and domain errors as HTTP."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reach_runtime.auth import public
from reach_runtime.errors import DomainError
from reach_runtime.uow import UnitOfWork

if TYPE_CHECKING:
    from reach_runtime.service import Runtime

health = APIRouter(
    tags=["operations"], dependencies=[public("probes and the Prometheus scrape (no client data)")]
)


def runtime_of(request: Request) -> Runtime:
    return request.app.state.runtime


async def _session(request: Request):
    async with runtime_of(request).sessions() as session:
        yield session


async def _uow(request: Request):
    async with runtime_of(request).uows() as uow:
        yield uow


Session = Annotated[AsyncSession, Depends(_session)]
Uow = Annotated[UnitOfWork, Depends(_uow)]


@health.get("/healthz", summary="The process is alive: 503 once a background loop has died")
async def healthz(request: Request) -> JSONResponse:
    dead = runtime_of(request).dead_loops
    if dead:  # half alive: the liveness probe (or any supervisor) should restart the process
        return JSONResponse({"status": "failed", "dead_loops": dead}, status_code=503)
    return JSONResponse({"status": "ok"})


@health.get("/readyz", summary="The database and Kafka answer, and consumers have joined")
async def readyz(request: Request) -> JSONResponse:
    runtime = runtime_of(request)
    checks: dict[str, str] = {}
    try:
        async with runtime.sessions() as session:
            await asyncio.wait_for(session.execute(text("SELECT 1")), timeout=2)
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"failed: {type(error).__name__}"
    checks["kafka"] = "ok" if await runtime.kafka_reachable() else "failed"
    for name, ready in runtime.readiness().items():
        checks[name] = "ok" if ready else "starting"
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503
    )


@health.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def prometheus() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def install_error_handlers(app: FastAPI) -> None:
    """Domain errors become HTTP responses whose body says which field and why."""

    @app.exception_handler(DomainError)
    async def _domain_error(_request: Request, error: DomainError) -> JSONResponse:
        detail = {"msg": error.message}
        if error.field:
            detail["loc"] = ["body", *error.field.split(".")]
        return JSONResponse({"detail": [detail]}, status_code=error.status_code)


class _TooLarge(BaseException):  # not Exception: body parsers turn those into 400
    pass


class BodyLimit:
    """A request body over the limit gets a 413 that says so: at once when its Content-Length
    declares it, or as soon as a streamed (chunked) body passes the limit."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        seen, started = 0, False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        msg = f"the body is larger than this service takes: {self.limit} bytes"
        await JSONResponse({"detail": [{"loc": ["body"], "msg": msg}]}, 413)(scope, receive, send)


class NoNul:
    """A NUL character in the path or a query parameter gets a 422 that says where, for every
    route: PostgreSQL text cannot hold NUL, so a lookup by it would fail in the database (500)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        loc = _nul_in(scope) if scope["type"] == "http" else None
        if loc is None:
            await self.app(scope, receive, send)
            return
        msg = "the NUL character (%00) is not accepted in a path or a query"
        await JSONResponse({"detail": [{"loc": loc, "msg": msg}]}, 422)(scope, receive, send)


def _nul_in(scope: Scope) -> list[str] | None:
    if "\x00" in scope["path"]:
        return ["path"]
    query = scope["query_string"].decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):  # as Starlette reads it
        if "\x00" in name or "\x00" in value:
            return ["query", name]
    return None
