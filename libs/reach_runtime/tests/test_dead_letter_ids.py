"""A dead letter's id past what BIGINT holds is a 422 naming it, not a database error (500)."""

from __future__ import annotations

import pytest
from reach_profile.bootstrap import bootstrap
from reach_profile.settings import ProfileSettings
from reach_runtime.stack import Broker
from reach_runtime.testing import running

pytestmark = pytest.mark.kafka


async def test_an_id_past_bigint_is_refused_naming_it_and_the_largest_is_looked_up(
    database_url: str, broker: Broker
) -> None:
    settings = ProfileSettings(
        reach_env="test",
        database_url=database_url,
        kafka_bootstrap_servers=broker.bootstrap,
        kafka_topic_prefix=broker.prefix,
    )
    huge, largest = 2**64, 2**63 - 1
    async with running(bootstrap(settings)) as (_runtime, http):
        replay = await http.post(f"/dead-letters/{huge}/replay")
        assert replay.status_code == 422
        assert replay.json()["detail"][0]["loc"] == ["path", "letter_id"]
        listed = await http.get("/dead-letters", params={"after_id": huge})
        assert listed.status_code == 422
        assert listed.json()["detail"][0]["loc"] == ["query", "after_id"]

        assert (await http.post(f"/dead-letters/{largest}/replay")).status_code == 404
        assert (await http.get("/dead-letters", params={"after_id": largest})).json() == []
