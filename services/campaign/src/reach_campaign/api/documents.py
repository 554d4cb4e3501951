"""Campaign documents in and out: JSON or YAML, validation errors with the path of each field."""

from __future__ import annotations

import json
from functools import reduce
from operator import or_
from typing import Any, TypeVar

import yaml
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, TypeAdapter, ValidationError

from reach_campaign.domain.model import CampaignSpec, cross_check

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
MAX_DOCUMENT_BYTES = 256 * 1024
M = TypeVar("M", bound=BaseModel)


def parse_model(model: type[M], document: Any) -> M:
    """Validate a document; errors are raised as FastAPI's 422, located under `body`."""
    try:
        return model.model_validate(document)
    except ValidationError as error:
        raise RequestValidationError(
            [
                {"loc": ("body", *e["loc"]), "msg": e["msg"], "type": e["type"]}
                for e in error.errors(include_url=False, include_context=False)
            ]
        ) from None


def parse_spec(document: Any) -> CampaignSpec:
    """A campaign spec, checked field by field and across elements."""
    spec = parse_model(CampaignSpec, document)
    errors = cross_check(spec)
    if errors:
        raise RequestValidationError(
            [{"loc": ("body", *loc), "msg": msg, "type": "value_error"} for loc, msg in errors]
        )
    return spec


def load(raw: bytes, content_type: str) -> Any:
    """The document in a request body, YAML when the content type says so, else JSON."""
    if len(raw) > MAX_DOCUMENT_BYTES:
        _refuse(f"the document is larger than {MAX_DOCUMENT_BYTES} bytes")
    try:
        if content_type.split(";")[0].strip().lower() in YAML_TYPES:
            return yaml.safe_load(raw)
        return json.loads(raw)
    except (ValueError, yaml.YAMLError) as error:
        _refuse(f"not a readable document: {error}")


def _refuse(message: str) -> None:
    raise RequestValidationError([{"loc": ("body",), "msg": message, "type": "value_error"}])


def documented(*models: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` giving a body read as a plain document the schema of `models` (any of them),
    inline, so /docs and generated clients (and the API fuzz test) see what is really taken."""
    schema = TypeAdapter(reduce(or_, models)).json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(defs[node["$ref"].rsplit("/", 1)[-1]])
            # a discriminator's mapping names $defs that are inlined now; oneOf alone still holds
            return {k: inline(v) for k, v in node.items() if k != "discriminator"}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    return {"requestBody": {"content": {"application/json": {"schema": inline(schema)}}}}


def dump(spec: dict[str, Any], form: str) -> str:
    if form == "yaml":
        return yaml.safe_dump(spec, allow_unicode=True, sort_keys=False)
    return json.dumps(spec, ensure_ascii=False, indent=2)
