"""Free text the campaign service stores refuses the NUL character with a 422 naming the field,
on PostgreSQL, where a text column cannot hold it (it used to fail there as a 500)."""

from __future__ import annotations

import pytest
from reach_campaign.bootstrap import bootstrap
from reach_runtime.stack import Broker
from reach_runtime.testing import running

from .conftest import ANN
from .conftest import settings_for as settings

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

MESSAGE = {
    "name": "first-trade thank you",
    "trigger_segment_id": "SEG-first-trade",
    "channel": "email",
    "purpose": "service",
    "subject": "Thank you",
    "body": "Dear client {client_id}, thank you for trading with us.",
}
ITEM = {"id": "R001", "name": "Morning note", "kind": "research", "purpose": "service"}
SCRIPT = {"name": "thanks", "channel": "sms", "purpose": "service", "body": "Thank you. 回T退订"}


async def test_a_nul_in_stored_text_is_a_422_naming_the_field(
    postgres_url: str, broker: Broker
) -> None:
    async with running(bootstrap(settings(postgres_url, broker))) as (_runtime, http):
        refused = [
            ("/campaigns", {**MESSAGE, "body": "Dear\x00client"}, ["body", "body"]),
            ("/campaigns", {**MESSAGE, "name": "thank\x00you"}, ["body", "name"]),
            ("/catalogue", {**ITEM, "description": "a\x00note"}, ["body", "description"]),
            ("/scripts", {**SCRIPT, "body": "Thank\x00you"}, ["body", "body"]),
        ]
        for path, body, loc in refused:
            response = await http.post(path, json=body, headers=ANN)
            assert response.status_code == 422, (path, response.text)
            assert response.json()["detail"][0]["loc"] == loc, response.text

        for path, body in (("/campaigns", MESSAGE), ("/catalogue", ITEM), ("/scripts", SCRIPT)):
            response = await http.post(path, json=body, headers=ANN)
            assert response.status_code == 201, (path, response.text)
