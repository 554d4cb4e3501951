"""Rendering a script for a client and a channel: plain placeholders only, every one filled,
and each channel's limits."""

from __future__ import annotations

import pytest
from reach_notifier.domain.rendering import RenderError, SmsStyle, fill, render, sms_parts


def test_placeholders_are_filled_from_the_clients_variables() -> None:
    text = fill("{name}, your advisor {advisor} has a note.", {"name": "Li", "advisor": "Zhang"})
    assert text == "Li, your advisor Zhang has a note."


def test_a_missing_variable_is_an_error_that_names_it_never_a_half_rendered_message() -> None:
    with pytest.raises(RenderError, match="missing variable code, fund"):
        fill("Hello {name}, {fund} code {code}", {"name": "Li"})


def test_doubled_braces_stay_as_literal_braces_and_values_are_not_rendered_again() -> None:
    assert fill("{{name}} is {name}", {"name": "{secret}", "secret": "x"}) == "{name} is {secret}"


@pytest.mark.parametrize(
    "template",
    [
        "{name.__class__}",
        "{name.__class__.__mro__}",
        "{name[0]}",
        "{name:>20}",
        "{name!r}",
        "{0}",
        "{}",
    ],
)
def test_anything_but_a_plain_name_in_a_placeholder_is_refused(template: str) -> None:
    with pytest.raises(RenderError, match="plain name"):
        fill(f"Dear {template}", {"name": "Li"})


@pytest.mark.parametrize("template", ["Dear {name", "Dear name}", "{"])
def test_unbalanced_braces_are_refused(template: str) -> None:
    with pytest.raises(RenderError):
        fill(template, {"name": "Li"})


def sms(body: str, purpose: str = "service", max_parts: int = 3):
    return render(
        channel="sms",
        purpose=purpose,
        subject=None,
        body=body,
        variables={},
        sms=SmsStyle(max_parts=max_parts),
    )


def test_an_sms_carries_the_signature_and_marketing_carries_the_opt_out() -> None:
    assert sms("您的账单已出。").body == "【Reach证券】您的账单已出。"
    assert sms("新基金开售。", "marketing").body == "【Reach证券】新基金开售。回T退订"


def test_sms_parts_are_70_characters_alone_and_67_once_concatenated() -> None:
    assert [sms_parts("字" * n) for n in (1, 70, 71, 134, 135, 201, 202)] == [1, 1, 2, 2, 3, 3, 4]
    signature = len("【Reach证券】")
    assert sms("字" * (70 - signature)).parts == 1
    assert sms("字" * (71 - signature)).parts == 2


def test_an_sms_longer_than_the_configured_parts_is_a_render_error() -> None:
    with pytest.raises(RenderError, match="needs 2 parts, more than 1"):
        sms("字" * 70, max_parts=1)


@pytest.mark.parametrize(
    ("channel", "subject", "body", "error"),
    [
        ("push", "标" * 33, "hi", "push subject of 33 characters, limit 32"),
        ("push", "t", "字" * 121, "push body of 121 characters, limit 120"),
        ("wechat", "t", "字" * 201, "wechat body of 201 characters, limit 200"),
        ("email", None, "   ", "empty body"),
    ],
)
def test_each_channels_limits_hold_at_render(channel, subject, body, error) -> None:
    with pytest.raises(RenderError, match=error):
        render(channel=channel, purpose="service", subject=subject, body=body, variables={})
