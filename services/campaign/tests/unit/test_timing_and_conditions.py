"""Send windows, delays to the next trading day, and event-scene conditions, with no I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError
from reach_campaign.domain.conditions import facts, matches
from reach_campaign.domain.model import CampaignSpec, Condition, Delay, SendWindow, cross_check
from reach_campaign.domain.timing import SHANGHAI, due_after, festivals, next_opening
from reach_contracts import FundsTransferred, FundsTransferredPayload

WINDOW = SendWindow()


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("at", "opens"),
    [
        (shanghai(2026, 11, 24, 10, 0), shanghai(2026, 11, 24, 10, 0)),
        (shanghai(2026, 11, 24, 7, 15), shanghai(2026, 11, 24, 8, 30)),
        (shanghai(2026, 11, 24, 22, 0), shanghai(2026, 11, 25, 8, 30)),
        (shanghai(2026, 11, 24, 23, 59), shanghai(2026, 11, 25, 8, 30)),
    ],
)
def test_outside_08_30_to_22_00_shanghai_a_send_waits_for_the_next_opening(
    at: datetime, opens: datetime
) -> None:
    assert next_opening(at.astimezone(UTC), WINDOW) == opens


def test_next_trading_day_at_ten_skips_weekends_and_exchange_holidays() -> None:
    delay = Delay(next_trading_day_at="10:00")
    friday = shanghai(2026, 11, 27, 14, 0)
    assert due_after(friday, delay) == shanghai(2026, 11, 30, 10, 0)
    before_national_day = shanghai(2026, 9, 30, 9, 0)
    assert due_after(before_national_day, delay) == shanghai(2026, 10, 8, 10, 0)
    assert due_after(friday, Delay(minutes=90)) == shanghai(2026, 11, 27, 15, 30)


def outflow(amount: str, direction: str = "out") -> FundsTransferred:
    return FundsTransferred(
        event_id="f1",
        occurred_at=shanghai(2026, 11, 24, 10, 0),
        client_id="C1",
        payload=FundsTransferredPayload(direction=direction, amount=Decimal(amount), method="bank"),
    )


def test_an_outflow_of_half_the_assets_or_more_matches_and_a_smaller_one_does_not() -> None:
    conditions = [
        Condition(field="direction", op="eq", value="out"),
        Condition(field="share_of_assets", op="gte", value=0.5),
    ]
    portrait = {"total_assets": "3000000.00"}
    big = facts(outflow("1500000"), portrait, first_ever=False, previous=None)
    small = facts(outflow("100000"), portrait, first_ever=False, previous=None)
    inflow = facts(outflow("2000000", "in"), portrait, first_ever=False, previous=None)
    assert (matches(conditions, big), matches(conditions, small), matches(conditions, inflow)) == (
        True,
        False,
        False,
    )
    unknown_assets = facts(outflow("1500000"), {}, first_ever=False, previous=None)
    assert not matches(conditions, unknown_assets)


def test_first_ever_and_days_since_the_previous_event_are_facts_conditions_can_use() -> None:
    back = facts(outflow("1"), {}, first_ever=False, previous=shanghai(2026, 10, 20, 10, 0))
    assert back["days_since_previous"] == 35
    assert matches([Condition(field="days_since_previous", op="gte", value=30)], back)
    first = facts(outflow("1"), {}, first_ever=True, previous=None)
    assert matches([Condition(field="first_ever", op="eq", value=True)], first)
    assert not matches([Condition(field="days_since_previous", op="gte", value=30)], first)


def test_a_condition_on_a_field_the_event_does_not_have_is_refused_at_its_path() -> None:
    spec = CampaignSpec.model_validate(
        {
            "name": "outflow",
            "goal": {"primary_event": "funds.transferred"},
            "service": {"purpose": "service"},
            "scene": {
                "kind": "event",
                "event_type": "funds.transferred",
                "conditions": [{"field": "amout", "op": "gte", "value": 1}],
            },
            "touchpoint": {"channels": ["advisor_task"]},
            "script": {"variants": [{"channel": "advisor_task", "script_id": "S", "version": 1}]},
        }
    )
    [(path, message)] = cross_check(spec)
    assert path == ("scene", "conditions", 0, "field")
    assert message.startswith("funds.transferred has no field 'amout'")


def test_a_delay_time_must_be_a_time_of_day() -> None:
    with pytest.raises(ValidationError, match="HH:MM"):
        Delay(next_trading_day_at="25:00")


def test_festivals_are_the_first_day_of_each_chinese_public_holiday_without_days_off_in_lieu() -> (
    None
):
    days = festivals(2026)
    assert days[date(2026, 2, 17)] == "春节"
    assert days[date(2026, 9, 25)] == "中秋节"
    assert days[date(2026, 10, 1)] == "国庆节"
    assert date(2026, 10, 2) not in days and date(2026, 1, 2) not in days
    assert len(days) == 8


def test_a_condition_value_must_fit_its_operator() -> None:
    with pytest.raises(ValidationError, match="'in' takes a list of values"):
        Condition(field="direction", op="in", value="out")
    with pytest.raises(ValidationError, match="'gte' compares with a number"):
        Condition(field="first_ever", op="gte", value=True)
