"""Who is acting, until authentication arrives: the one function the JWT work will replace."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request, status
from reach_runtime.http import runtime_of

ACTOR_HEADER = "X-Reach-Actor"
LOCAL_ACTOR = "local"


async def acting(
    request: Request,
    x_reach_actor: Annotated[
        str | None,
        Header(
            alias=ACTOR_HEADER,
            max_length=128,
            description="who makes the change (required outside REACH_ENV=local)",
        ),
    ] = None,
) -> str:
    """The actor named by the header; the quick start (REACH_ENV=local) may omit it."""
    if x_reach_actor and x_reach_actor.strip():
        return x_reach_actor.strip()
    if runtime_of(request).settings.reach_env == "local":
        return LOCAL_ACTOR
    raise HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        detail=[{"loc": ["header", ACTOR_HEADER], "msg": f"say who is acting: {ACTOR_HEADER}"}],
    )


Actor = Annotated[str, Depends(acting)]
