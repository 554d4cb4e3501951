"""Deterministic identifiers, so that replaying the same input emits the same ids."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable

_NAMESPACE = uuid.UUID("9b3c8f0e-5d7a-4c1e-9a52-2f6b1d3e7c44")


def derived_id(*parts: str) -> str:
    """A stable id for an emitted event, from the ids of what caused it."""
    return str(uuid.uuid5(_NAMESPACE, json.dumps(parts)))  # unambiguous whatever the parts hold


def derived_ids(*parts: str | None) -> Callable[[str], str]:
    """`derived_id` with every part fixed but one (the None): the function of that part.

    Equal to `derived_id(*parts with the None replaced)`, for a page of thousands of clients:
    the JSON of the fixed parts and the namespace are hashed once (uuid5 is SHA-1 of the
    namespace bytes and the name, with the version and variant bits set)."""
    [hole] = [i for i, p in enumerate(parts) if p is None]
    before = json.dumps(parts[:hole])[:-1] + (", " if hole else "")
    after = json.dumps(parts[hole + 1 :])[1:]
    after = (", " + after) if hole + 1 < len(parts) else after
    prefix = hashlib.sha1(_NAMESPACE.bytes + before.encode())

    def of(value: str) -> str:
        digest = prefix.copy()
        digest.update((json.dumps(value) + after).encode())
        raw = bytearray(digest.digest()[:16])
        raw[6] = (raw[6] & 0x0F) | 0x50  # version 5
        raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
        h = raw.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    return of
