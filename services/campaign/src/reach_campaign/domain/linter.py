"""The script linter of DOMAIN.md "Client protection": no promise of capital or returns, no return
forecast, the SMS opt-out on marketing, WeChat for service notices only, placeholders that exist.

Each finding quotes the offending text and where it is, so an editor can fix it at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reach_contracts import Channel

from reach_campaign.domain.model import Purpose
from reach_campaign.domain.templates import TemplateError, unknown_placeholders

OPT_OUT = "回T退订"

# Promises of capital or returns (保本, 保收益, 稳赚, 无风险, 正收益) and their common variants.
BANNED_PHRASES = (
    "保本",
    "保收益",
    "保证收益",
    "稳赚",
    "无风险",
    "零风险",
    "正收益",
    "刚性兑付",
    "只赚不赔",
    "guaranteed return",
    "guaranteed returns",
    "guaranteed profit",
    "risk-free",
    "risk free",
    "capital guaranteed",
)
_BANNED = re.compile(
    "|".join(re.escape(p) for p in sorted(BANNED_PHRASES, key=len, reverse=True)), re.I
)

_NUMBER = r"\d+(?:\.\d+)?\s*[%％]"
# Return forecasts: 年化收益率8%, 预期收益5.5%, 8%的收益, "8% return", "annual yield of 6%".
RETURN_FORECASTS = (
    re.compile(
        rf"(?:年化|预期|预计|承诺|目标)?(?:收益率?|回报率?|利率)\s*(?:达到?|高达|约|为|超过|可达)?\s*{_NUMBER}"
    ),
    re.compile(rf"{_NUMBER}\s*(?:以上)?\s*的?\s*(?:年化)?\s*(?:收益|回报)"),
    re.compile(
        rf"{_NUMBER}\s*(?:annual(?:ised|ized)?\s+)?(?:returns?|yields?|profits?|gains?)\b", re.I
    ),
    re.compile(rf"\b(?:returns?|yields?|profits?)\s+of\s+(?:up\s+to\s+)?{_NUMBER}", re.I),
)


@dataclass(frozen=True)
class Finding:
    """One problem in a script: which rule, which field, where, and the text at fault."""

    rule: str
    field: str  # "subject" or "body"
    start: int  # character offset of the quoted text in the field
    text: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}[{self.start}]: {self.message}: 「{self.text}」"


def lint(*, channel: Channel, purpose: Purpose, subject: str | None, body: str) -> list[Finding]:
    """Every finding in a script, in the order it appears."""
    findings: list[Finding] = []
    for field, text in (("subject", subject or ""), ("body", body)):
        findings += _promises(field, text)
        findings += _template(field, text)
    if channel is Channel.SMS and purpose is not Purpose.SERVICE:
        tail = body.rstrip().rstrip("。.")
        if not tail.endswith(OPT_OUT):
            quoted = tail[-12:]
            findings.append(
                Finding(
                    "sms_opt_out",
                    "body",
                    max(len(tail) - len(quoted), 0),
                    quoted,
                    f"marketing SMS must end with the opt-out instruction {OPT_OUT}",
                )
            )
    if channel is Channel.WECHAT and purpose is not Purpose.SERVICE:
        findings.append(
            Finding(
                "wechat_service_only", "body", 0, body[:12], "WeChat is for service notices only"
            )
        )
    return findings


def _promises(field: str, text: str) -> list[Finding]:
    spans: list[tuple[int, int, str, str]] = []
    for match in _BANNED.finditer(text):
        spans.append((match.start(), match.end(), "promise", "promises capital or returns"))
    for pattern in RETURN_FORECASTS:
        for match in pattern.finditer(text):
            spans.append((match.start(), match.end(), "return_forecast", "forecasts a return"))
    spans.sort(key=lambda s: (s[0], -s[1]))
    findings, covered_to = [], -1
    for start, end, rule, message in spans:
        if end <= covered_to:
            continue  # inside a finding already reported
        findings.append(Finding(rule, field, start, text[start:end], message))
        covered_to = max(covered_to, end)
    return findings


def _template(field: str, text: str) -> list[Finding]:
    try:
        unknown = unknown_placeholders(text)
    except TemplateError as error:
        name = error.placeholder or ""
        return [Finding("template", field, max(text.find("{" + name), 0), name, str(error))]
    return [
        Finding("template", field, text.find("{" + name), "{" + name + "}", "unknown placeholder")
        for name in unknown
    ]
