"""Provider callbacks: delivery receipts and SMS replies, accepted only when signed.

A provider signs the raw body with the shared secret: X-Reach-Signature: sha256=<hex HMAC>."""

from __future__ import annotations

import hashlib
import hmac
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel, Field, ValidationError
from reach_runtime.auth import public
from reach_runtime.errors import DomainError, Invalid
from reach_runtime.http import Uow, runtime_of
from sqlalchemy.exc import IntegrityError

from reach_notifier.api.params import NO_NUL
from reach_notifier.handlers.feedback import record_receipt, record_sms_reply

router = APIRouter(
    prefix="/callbacks",
    tags=["provider callbacks"],
    dependencies=[public("providers sign each callback (HMAC of the body, checked below)")],
)


class Unauthorized(DomainError):
    status_code = 401


def signature(secret: str, body: bytes) -> str:
    """What a provider puts in X-Reach-Signature for this body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def signed_body(
    request: Request, x_reach_signature: Annotated[str, Header(max_length=100)] = ""
) -> bytes:
    body = await request.body()
    secret = runtime_of(request).settings.callback_secret
    if not hmac.compare_digest(signature(secret, body), x_reach_signature):
        raise Unauthorized("bad or missing signature", field="X-Reach-Signature")
    return body


SignedBody = Annotated[bytes, Depends(signed_body)]


class ProviderChannel(StrEnum):
    SMS = "sms"
    EMAIL = "email"
    PUSH = "push"
    WECHAT = "wechat"


class ReceiptStatusIn(StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"
    OPENED = "opened"
    CLICKED = "clicked"


class ReceiptIn(BaseModel):
    message_id: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
    status: ReceiptStatusIn
    detail: str | None = Field(default=None, max_length=500, pattern=NO_NUL)


class ReplyIn(BaseModel):
    reply_id: str = Field(min_length=1, max_length=128, pattern=NO_NUL)
    phone: str = Field(min_length=3, max_length=32, pattern=r"^\+?[0-9-]{3,32}$")
    text: str = Field(max_length=500, pattern=NO_NUL)
    in_reply_to: str | None = Field(default=None, max_length=200, pattern=NO_NUL)


def _parse(model: type[BaseModel], body: bytes) -> Any:
    try:
        return model.model_validate_json(body)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        raise Invalid(first["msg"], field=field) from None


@router.post("/{channel}/receipts", summary="A provider's receipt: delivered, failed, opened…")
async def receipt(channel: ProviderChannel, body: SignedBody, uow: Uow) -> dict[str, bool]:
    data: ReceiptIn = _parse(ReceiptIn, body)
    recorded = await record_receipt(
        uow,
        channel=str(channel),
        provider_message_id=data.message_id,
        status=str(data.status),
        detail=data.detail,
    )
    try:
        await uow.commit()
    except IntegrityError:  # the same receipt, delivered twice at once: the other one won
        return {"recorded": False}
    return {"recorded": recorded}


@router.post("/sms/replies", summary="A client's SMS reply; T withdraws SMS marketing consent")
async def sms_reply(body: SignedBody, uow: Uow) -> dict[str, bool]:
    data: ReplyIn = _parse(ReplyIn, body)
    opted_out = await record_sms_reply(
        uow, phone=data.phone, text=data.text, reply_id=data.reply_id, in_reply_to=data.in_reply_to
    )
    await uow.commit()
    return {"opted_out": opted_out}
