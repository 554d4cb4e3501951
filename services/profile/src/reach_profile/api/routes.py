"""Client portraits over HTTP, for advisors and operations staff."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from reach_contracts import Portrait as PortraitPayload
from reach_runtime.errors import NotFound
from reach_runtime.http import Session

from reach_profile.adapters.portraits import PortraitRepository, portrait_event

router = APIRouter(prefix="/portraits", tags=["portraits"])


class PortraitOut(PortraitPayload):
    client_id: str


def _view(portrait) -> PortraitOut:
    return PortraitOut(
        client_id=portrait.client_id, **portrait_event(portrait).payload.model_dump()
    )


@router.get("/{client_id}", response_model=PortraitOut, summary="One client's latest portrait")
async def get_portrait(client_id: str, session: Session) -> PortraitOut:
    portrait = await PortraitRepository(session).get(client_id)
    if portrait is None:
        raise NotFound(f"no portrait for client {client_id!r}", field="client_id")
    return _view(portrait)


@router.get("", response_model=list[PortraitOut], summary="Portraits in client-id order, paged")
async def list_portraits(
    session: Session,
    after: Annotated[
        str | None, Query(max_length=64, description="last client_id of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[PortraitOut]:
    return [_view(p) for p in await PortraitRepository(session).page(after=after, limit=limit)]
