"""Rendering a script for a client and a channel: every placeholder filled from the client's
variables or the outreach fails, and each channel's limits hold, or the outreach fails."""

from __future__ import annotations

import math
import string
from dataclasses import dataclass

SMS_SINGLE = 70  # characters in one SMS (UCS-2)
SMS_PART = 67  # characters per part once concatenated (the header takes 3)

# (subject limit, body limit) in characters; None = the channel has no subject.
LIMITS: dict[str, tuple[int | None, int]] = {
    "email": (200, 100_000),
    "push": (32, 120),
    "wechat": (20, 200),
    "inapp": (100, 2_000),
    "advisor_task": (100, 2_000),
}


class RenderError(ValueError):
    """The script cannot become a message for this client on this channel; says why."""


@dataclass(frozen=True)
class SmsStyle:
    signature: str = "【Reach证券】"
    opt_out: str = "回T退订"
    max_parts: int = 3


@dataclass(frozen=True)
class Rendered:
    subject: str | None
    body: str
    parts: int = 1  # SMS segments the provider will bill


def fill(template: str, variables: dict[str, str]) -> str:
    """Fill `{name}` placeholders; RenderError on a malformed template or a missing variable."""
    names: list[str] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as error:
        raise RenderError(f"malformed template: {error}") from None
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        if spec or conversion or not field.isidentifier():
            raise RenderError(f"placeholder {{{field}}} must be a plain name")
        names.append(field)
    missing = sorted({n for n in names if n not in variables})
    if missing:
        raise RenderError(f"missing variable {', '.join(missing)}")
    return template.format_map(variables)


def sms_parts(text: str) -> int:
    return 1 if len(text) <= SMS_SINGLE else math.ceil(len(text) / SMS_PART)


def render(
    *,
    channel: str,
    purpose: str,
    subject: str | None,
    body: str,
    variables: dict[str, str],
    sms: SmsStyle = SmsStyle(),
) -> Rendered:
    """The message as the client will see it, within the channel's limits."""
    text = fill(body, variables)
    title = fill(subject, variables) if subject else None
    if not text.strip():
        raise RenderError("empty body")
    if channel == "sms":
        text = sms.signature + text + (sms.opt_out if purpose == "marketing" else "")
        parts = sms_parts(text)
        if parts > sms.max_parts:
            raise RenderError(
                f"sms of {len(text)} characters needs {parts} parts, more than {sms.max_parts}"
            )
        return Rendered(None, text, parts)
    subject_limit, body_limit = LIMITS[channel]
    if len(text) > body_limit:
        raise RenderError(f"{channel} body of {len(text)} characters, limit {body_limit}")
    if title is not None and subject_limit is not None and len(title) > subject_limit:
        raise RenderError(f"{channel} subject of {len(title)} characters, limit {subject_limit}")
    return Rendered(title, text)
