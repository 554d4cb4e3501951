"""Deterministic identifiers, so that replaying the same input emits the same ids."""

from __future__ import annotations

import json
import uuid

_NAMESPACE = uuid.UUID("9b3c8f0e-5d7a-4c1e-9a52-2f6b1d3e7c44")


def derived_id(*parts: str) -> str:
    """A stable id for an emitted event, from the ids of what caused it."""
    return str(uuid.uuid5(_NAMESPACE, json.dumps(parts)))  # unambiguous whatever the parts hold
