"""The campaign document bodies, read as plain documents, are described in the OpenAPI as what is
really taken: /docs, generated clients and the API fuzz test see the eight elements."""

from __future__ import annotations

import json

from reach_campaign.bootstrap import bootstrap
from reach_campaign.settings import CampaignSettings
from reach_runtime.service import Runtime, create_app


def body_schema(method: str, path: str) -> dict:
    settings = CampaignSettings(reach_env="test", database_url="sqlite+aiosqlite:///:memory:")
    openapi = create_app(Runtime(bootstrap(settings))).openapi()
    return openapi["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]


def test_creating_a_campaign_documents_both_forms_inline() -> None:
    schema = body_schema("post", "/campaigns")
    forms = [set(form["required"]) for form in schema["anyOf"]]
    assert {"name", "goal", "service", "scene", "touchpoint", "script"} in forms
    assert {"name", "trigger_segment_id", "channel", "body"} in forms
    assert "$ref" not in json.dumps(schema)  # inline: nothing points at definitions not served


def test_editing_a_campaign_documents_the_eight_elements() -> None:
    schema = body_schema("put", "/campaigns/{campaign_id}")
    assert {"name", "goal", "service", "scene", "touchpoint", "script"} <= set(schema["required"])
    assert schema["properties"]["name"]["pattern"] == "^[^\\x00]*$"
