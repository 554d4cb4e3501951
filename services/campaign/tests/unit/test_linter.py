"""The script linter: promises and return forecasts quoted where they are; SMS opt-out; WeChat."""

from __future__ import annotations

import pytest
from reach_campaign.domain.linter import lint
from reach_campaign.domain.model import Purpose
from reach_contracts import Channel


def found(
    body: str,
    *,
    channel: Channel = Channel.EMAIL,
    purpose: Purpose = Purpose.MARKETING,
    subject: str | None = None,
) -> list[tuple[str, str, int, str]]:
    return [
        (f.rule, f.field, f.start, f.text)
        for f in lint(channel=channel, purpose=purpose, subject=subject, body=body)
    ]


@pytest.mark.parametrize(
    "phrase", ["保本", "保收益", "稳赚", "无风险", "正收益", "保证收益", "刚性兑付"]
)
def test_each_banned_promise_is_quoted_with_its_position(phrase: str) -> None:
    assert found(f"本产品{phrase}。") == [("promise", "body", 3, phrase)]


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("预计年化收益率8%", "年化收益率8%"),
        ("收益率达到 5.5%", "收益率达到 5.5%"),
        ("每年8%的收益", "8%的收益"),
        ("a 7% annual return", "7% annual return"),
        ("returns of up to 12%", "returns of up to 12%"),
        ("Guaranteed returns for you", "Guaranteed returns"),
    ],
)
def test_return_forecasts_and_guarantees_are_quoted(text: str, quoted: str) -> None:
    assert [q for _, _, _, q in found(text)] == [quoted]


def test_a_longer_promise_is_reported_once_not_once_per_banned_word_inside_it() -> None:
    assert found("稳赚不赔") == [("promise", "body", 0, "稳赚")]
    assert [q for *_, q in found("保证收益")] == ["保证收益"]


def test_the_subject_is_linted_too() -> None:
    assert found("您好", subject="无风险理财") == [("promise", "subject", 0, "无风险")]


def test_honest_words_pass() -> None:
    assert found("您关注的基金今日开放申购，市场有风险，投资需谨慎。") == []
    assert found("Your fund's past performance does not predict its future returns.") == []


def test_marketing_and_care_sms_must_end_with_the_opt_out_but_service_notices_need_not() -> None:
    assert found("新基金上线。回T退订", channel=Channel.SMS) == []
    assert found("生日快乐！回T退订。", channel=Channel.SMS, purpose=Purpose.CARE) == []
    assert [r for r, *_ in found("新基金上线。", channel=Channel.SMS)] == ["sms_opt_out"]
    assert [r for r, *_ in found("回T退订 新基金上线", channel=Channel.SMS)] == ["sms_opt_out"]
    assert (
        found("您的配售缴款将于今日16:00截止。", channel=Channel.SMS, purpose=Purpose.SERVICE) == []
    )


def test_wechat_carries_service_notices_only() -> None:
    assert [r for r, *_ in found("新品", channel=Channel.WECHAT)] == ["wechat_service_only"]
    assert found("缴款提醒", channel=Channel.WECHAT, purpose=Purpose.SERVICE) == []


def test_placeholders_must_be_plain_known_names() -> None:
    assert found("{client_id} {advisor_id}") == []
    assert found("{nickname}您好") == [("template", "body", 0, "{nickname}")]
    assert [r for r, *_ in found("{client_id.__class__}")] == ["template"]
    assert [r for r, *_ in found("{unclosed")] == ["template"]
