"""The results API through Kafka: funnel with the gates' reasons, uplift per variant, the daily
series in Asia/Shanghai days, first- and last-touch credit, conversion paths, the BI datasets as
pages and as a streamed CSV, no contact detail anywhere, and a replay that gives the same numbers."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections import defaultdict

import pytest
from reach_analytics.bootstrap import bootstrap
from reach_analytics.settings import AnalyticsSettings
from reach_runtime import migrations
from reach_runtime.replay import replay
from reach_runtime.service import Runtime
from reach_runtime.stack import Broker
from reach_runtime.testing import create_database, drop_database, eventually, running

from .folding import ENDPOINTS, results
from .scenario import EMAIL, scenario

pytestmark = pytest.mark.kafka
CONTACT = re.compile(re.escape(EMAIL) + "|example\\.com|13812345678")  # as the scenario quotes them


def settings(database_url: str, broker: Broker) -> AnalyticsSettings:
    return AnalyticsSettings(
        database_url=database_url,
        kafka_bootstrap_servers=broker.bootstrap,
        kafka_topic_prefix=broker.prefix,
    )


async def publish(broker: Broker) -> None:
    by_topic = defaultdict(list)
    for topic, event in scenario():
        by_topic[topic].append(event)
    for topic, events in by_topic.items():
        await broker.publish(topic, *events)


async def everything_in(http) -> bool:
    """Every campaign has its last facts: the late trade, the deposit, the snapshots."""
    checks = {"CMP-A": 12, "CMP-B": 1, "CMP-C": 1, "CMP-D": 1}
    for campaign, converted in checks.items():
        response = await http.get(f"/campaigns/{campaign}")
        if response.status_code != 200 or response.json()["treated"]["converted"] != converted:
            return False
    paths = (await http.get("/paths")).json()["paths"]
    return sum(p["clients"] for p in paths) == 23


@pytest.fixture
async def live(database_url: str, broker: Broker):
    await publish(broker)
    async with running(bootstrap(settings(database_url, broker))) as (runtime, http):
        assert await eventually(lambda: everything_in(http), timeout_s=60), "events never arrived"
        yield runtime, http


async def check_the_funnel_names_each_gate_and_reason_and_the_call_outcomes(live) -> None:
    _, http = live
    body = (await http.get("/campaigns/CMP-A/funnel")).json()
    assert [(s["stage"], s["count"]) for s in body["stages"]] == [
        ("eligible", 78),
        ("held_out", 35),
        ("suppressed", 3),
        ("requested", 40),
        ("sent", 39),
        ("delivered", 20),
        ("opened", 6),
        ("clicked", 2),
        ("converted", 12),
    ]
    assert body["stopped"] == [
        {"gate": "consent", "reason": "no consent for sms marketing", "count": 2},
        {
            "gate": "notifier",
            "reason": "no_contact ([email] bounced, [phone] unreachable)",
            "count": 1,
        },
        {"gate": "suitability", "reason": "F-EQ is R4; risk level C3 allows R1-R3", "count": 1},
    ]
    assert body["calls"] == {"reached": 1, "no_answer": 1, "declined": 0, "callback": 0}
    missing = await http.get("/campaigns/NOPE/funnel")
    assert missing.status_code == 404


async def check_uplift_per_variant_compares_with_the_held_out_clients_of_that_variant(live) -> None:
    _, http = live
    body = (await http.get("/campaigns/CMP-A/uplift", params={"by": "variant"})).json()
    assert (body["goal_event"], body["window_days"]) == ("trade.executed", 7)
    rows = {r["key"]: r for r in body["rows"]}
    assert {k: (r["treated"]["clients"], r["treated"]["converted"]) for k, r in rows.items()} == {
        "A": (20, 6),
        "B": (19, 6),
    }
    assert {k: (r["holdout"]["clients"], r["holdout"]["converted"]) for k, r in rows.items()} == {
        "A": (18, 3),
        "B": (17, 2),
    }
    assert all(r["holdout_scope"] == "same_key" and r["small_sample"] for r in rows.values())
    channel = (await http.get("/campaigns/CMP-A/uplift", params={"by": "channel"})).json()
    (sms,) = channel["rows"]
    assert (sms["key"], sms["holdout_scope"], sms["holdout"]["clients"]) == ("sms", "campaign", 35)
    assert sms["ci_low"] < sms["absolute_uplift"] < sms["ci_high"]
    refused = await http.get("/campaigns/CMP-A/uplift", params={"by": "weather"})
    assert refused.status_code == 422 and "by" in refused.text


async def check_days_are_asia_shanghai_days(live) -> None:
    _, http = live
    days = (await http.get("/campaigns/CMP-A/daily")).json()["days"]
    assert days == [
        {
            "day": "2026-11-23",
            "requested": 40,
            "held_out": 35,
            "suppressed": 2,
            "sent": 39,
            "delivered": 20,
            "converted": 0,
        },
        # 17:00 UTC on the 23rd is 01:00 on the 24th in Shanghai
        {
            "day": "2026-11-24",
            "requested": 0,
            "held_out": 0,
            "suppressed": 1,
            "sent": 0,
            "delivered": 0,
            "converted": 12,
        },
    ]


async def check_a_conversion_two_campaigns_touched_goes_to_the_first_or_the_last(live) -> None:
    _, http = live
    first = (await http.get("/campaigns/CMP-A/attribution?view=first_touch")).json()
    last = (await http.get("/campaigns/CMP-A/attribution?view=last_touch")).json()
    assert (first["credited"]["conversions"], first["credited"]["shared"], first["lost_to"]) == (
        12,
        1,
        {},
    )
    assert (last["credited"]["conversions"], last["lost_to"]) == (11, {"CMP-C": 1})
    later = (await http.get("/campaigns/CMP-C/attribution?view=last_touch")).json()
    assert later["credited"]["conversions"] == 1


async def check_paths_count_clients_and_median_hours(live) -> None:
    _, http = live
    paths = {tuple(p["steps"]): p for p in (await http.get("/paths")).json()["paths"]}
    full = paths["wechat.followed", "app.registered", "first_trade"]
    assert (full["clients"], full["median_hours_between"]) == (3, [4.0, 24.0])
    assert paths["app.registered", "wechat.followed"]["clients"] == 1


async def check_campaign_results_carry_goal_interval_and_amount(live) -> None:
    _, http = live
    by_id = {c["campaign_id"]: c for c in (await http.get("/campaigns")).json()}
    deposit = by_id["CMP-B"]
    assert (deposit["goal_event"], deposit["converted_amount"]) == ("funds.transferred", 50000.0)
    assert deposit["small_sample"] and deposit["uplift_ci_low"] is None  # no holdout
    valid = by_id["CMP-D"]
    assert (valid["treated"]["converted"], valid["holdout"]["converted"]) == (1, 0)


async def check_bi_pages_follow_the_cursor_to_the_same_rows_as_one_page(live) -> None:
    _, http = live
    whole = (await http.get("/bi/outreach", params={"limit": 1000})).json()
    assert whole["next_cursor"] is None and len(whole["rows"]) == 86
    rows, after = [], None
    while True:
        params = {"limit": 10, **({"after": after} if after else {})}
        page = (await http.get("/bi/outreach", params=params)).json()
        rows += page["rows"]
        after = page["next_cursor"]
        if after is None:
            break
    assert rows == whole["rows"]
    only_b = (await http.get("/bi/outreach", params={"campaign_id": "CMP-B"})).json()["rows"]
    assert {r["client_id"] for r in only_b} == {"C01", "C02", "C03", "C04", "C05"}
    window = {"from": "2026-11-24T00:00:00+08:00", "to": "2026-11-25T00:00:00+08:00"}
    day = (await http.get("/bi/conversions", params=window)).json()["rows"]
    assert day and all("2026-11-23T16:00" <= r["occurred_at"] < "2026-11-24T16:00" for r in day)


BAD_REQUESTS = [
    ("/bi/outreach", {"limit": 1001}, "limit"),
    ("/bi/outreach", {"limit": 0}, "limit"),
    ("/bi/outreach", {"from": "2026-11-24T00:00:00"}, "from"),
    ("/bi/outreach", {"from": "0001-01-01T00:00:00+08:00"}, "from"),
    ("/bi/outreach", {"after": "not-a-cursor"}, "after"),
    ("/bi/outreach", {"after": "WyJcdTAwMDAiXQ"}, "after"),  # ["\u0000"]
    ("/bi/touches", {"after": "WyJhIl0"}, "after"),  # one key of two
    ("/bi/outreach", {"from": "2026-11-24T00:00:00Z", "to": "2026-11-23T00:00:00Z"}, "to"),
    ("/bi/campaign_results", {"from": "2026-11-24T00:00:00Z"}, "from"),
    ("/bi/secrets", {}, "dataset"),
]


async def check_bad_bi_requests_are_refused_naming_the_field(live) -> None:
    _, http = live
    for path, params, field in BAD_REQUESTS:
        response = await http.get(path, params=params)
        assert response.status_code == 422, response.text
        assert field in response.text, (path, params)


async def check_a_streamed_csv_has_the_documented_columns_and_the_json_rows(live) -> None:
    _, http = live
    for dataset in ("outreach", "deliveries", "conversions", "touches", "campaign_results"):
        page = (await http.get(f"/bi/{dataset}", params={"limit": 1000})).json()
        async with http.stream("GET", f"/bi/{dataset}.csv") as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/csv")
            text = "".join([chunk async for chunk in response.aiter_text()])
        table = list(csv.reader(io.StringIO(text)))
        assert table[0] == page["columns"], dataset
        assert len(table) - 1 == len(page["rows"]) > 0, dataset
        first = dict(zip(table[0], table[1], strict=True))
        expected = {
            k: "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
            for k, v in page["rows"][0].items()
        }
        assert first == expected, dataset


async def check_no_contact_detail_appears_in_any_output(live) -> None:
    """The scenario quotes an e-mail address and a mobile number in provider errors."""
    _, http = live
    for path in ENDPOINTS:
        body = (await http.get(path)).text
        assert not CONTACT.search(body), path
    for dataset in ("outreach", "deliveries", "conversions", "touches", "campaign_results"):
        body = (await http.get(f"/bi/{dataset}.csv")).text
        assert not CONTACT.search(body), dataset


async def test_results_show_the_funnel_uplift_days_credit_paths_and_amounts(live) -> None:
    """Gates with reasons and call outcomes; uplift per variant against that variant's holdout;
    Asia/Shanghai days; first- and last-touch credit; paths; goal, interval and amount."""
    await check_the_funnel_names_each_gate_and_reason_and_the_call_outcomes(live)
    await check_uplift_per_variant_compares_with_the_held_out_clients_of_that_variant(live)
    await check_days_are_asia_shanghai_days(live)
    await check_a_conversion_two_campaigns_touched_goes_to_the_first_or_the_last(live)
    await check_paths_count_clients_and_median_hours(live)
    await check_campaign_results_carry_goal_interval_and_amount(live)


async def test_bi_datasets_page_stream_as_csv_refuse_bad_input_and_hold_no_contact(live) -> None:
    """Cursor pages equal one page; filters; 422 naming the field; CSV = JSON; no contact."""
    await check_bi_pages_follow_the_cursor_to_the_same_rows_as_one_page(live)
    await check_bad_bi_requests_are_refused_naming_the_field(live)
    await check_a_streamed_csv_has_the_documented_columns_and_the_json_rows(live)
    await check_no_contact_detail_appears_in_any_output(live)


async def test_a_replay_of_the_topics_into_an_empty_database_gives_the_same_results(
    live, database_url: str, tmp_path, request: pytest.FixtureRequest
) -> None:
    runtime, _ = live
    before = await results(runtime)
    if database_url.startswith("sqlite"):
        empty = f"sqlite+aiosqlite:///{tmp_path / 'replayed.db'}"
    else:
        empty = await create_database(request.getfixturevalue("postgres_server"))
    definition = bootstrap(runtime.settings.model_copy(update={"database_url": empty}))
    await asyncio.to_thread(migrations.upgrade, definition.migrations, definition.metadata, empty)
    rebuilt = Runtime(definition)
    try:
        assert await replay(rebuilt, progress=False) >= len(scenario())
        assert await results(rebuilt) == before
    finally:
        await rebuilt.close_databases()
        if not database_url.startswith("sqlite"):
            await drop_database(empty)
