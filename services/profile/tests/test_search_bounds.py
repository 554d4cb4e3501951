"""The portrait search refuses, with a 422 naming the parameter, what the database cannot compare."""

from __future__ import annotations

import pytest
from reach_profile.bootstrap import bootstrap
from reach_profile.settings import ProfileSettings
from reach_runtime.stack import Broker
from reach_runtime.testing import running

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def test_an_assets_bound_past_what_a_portrait_can_hold_is_refused_not_a_server_error(
    postgres_url: str, broker: Broker
) -> None:
    settings = ProfileSettings(
        reach_env="test",
        database_url=postgres_url,
        kafka_bootstrap_servers=broker.bootstrap,
        kafka_topic_prefix=broker.prefix,
    )
    async with running(bootstrap(settings)) as (_runtime, http):
        for name in ("min_assets", "max_assets"):
            response = await http.get("/portraits", params={name: "1.5e308"})
            assert response.status_code == 422, response.text
            assert response.json()["detail"][0]["loc"] == ["query", name]
            largest = await http.get("/portraits", params={name: "999999999999999999.99"})
            assert largest.status_code == 200, largest.text
