"""The protection gate's rules with no I/O: suitability, eligibility, consent, caps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from reach_campaign.domain import gate
from reach_campaign.domain.timing import local_day

TODAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def fund(level: str, **eligibility: object) -> gate.Item:
    return gate.Item(id="F1", kind="product", risk_level=level, eligibility=eligibility)


@pytest.mark.parametrize(
    ("client", "highest"), [("C1", "R1"), ("C2", "R2"), ("C3", "R3"), ("C4", "R4"), ("C5", "R5")]
)
def test_a_client_may_be_offered_products_up_to_the_level_of_the_suitability_table(
    client: str, highest: str
) -> None:
    portrait = {"risk_level": client, "risk_expires_on": "2027-01-01"}
    assert gate.suitability(fund(highest), portrait, TODAY) is None
    above = f"R{int(highest[1]) + 1}"
    if above != "R6":
        stop = gate.suitability(fund(above), portrait, TODAY)
        assert stop == gate.Stop(
            "suitability", f"F1 is {above}; risk level {client} allows R1-{highest}"
        )


def test_a_lowest_category_client_gets_r1_only_whatever_the_level() -> None:
    portrait = {"risk_level": "C4", "lowest_category": True}
    assert gate.suitability(fund("R1"), portrait, TODAY) is None
    assert gate.suitability(fund("R2"), portrait, TODAY).reason == (
        "F1 is R2; lowest-category client (R1 only)"
    )


def test_an_expired_or_missing_assessment_means_no_product_offers_but_care_still_goes() -> None:
    expired = {"risk_level": "C5", "risk_expires_on": "2026-11-23"}
    assert gate.suitability(fund("R1"), expired, TODAY).reason == (
        "no product offers: risk assessment expired on 2026-11-23"
    )
    assert gate.suitability(fund("R1"), {}, TODAY).reason == "no product offers: no risk assessment"
    care = gate.Item(id="BDAY", kind="care", risk_level=None, eligibility={})
    assert gate.suitability(care, expired, TODAY) is None
    assert gate.suitability(None, {}, TODAY) is None


def test_a_professional_investor_may_receive_any_level() -> None:
    assert (
        gate.suitability(fund("R5"), {"risk_level": "C1", "professional_investor": True}, TODAY)
        is None
    )


def test_catalogue_eligibility_checks_level_qualification_assets_and_professional_class() -> None:
    portrait = {"risk_level": "C3", "total_assets": "450000", "margin_eligible": False}
    assert gate.eligibility(fund("R3", min_client_risk_level="C4"), portrait).reason == (
        "F1 needs risk level C4 or above, client C3"
    )
    assert gate.eligibility(fund("R3", qualifications=["margin"]), portrait).reason == (
        "F1 needs the margin qualification"
    )
    assert gate.eligibility(fund("R3", min_total_assets="500000"), portrait).reason == (
        "F1 needs total assets of 500000, client 450000"
    )
    assert gate.eligibility(fund("R3", professional_only=True), portrait).gate == "eligibility"
    assert gate.eligibility(fund("R3", min_total_assets="100000"), portrait) is None


def test_consent_is_per_channel_and_purpose_and_an_advisor_call_needs_phone_consent() -> None:
    consents = {
        "sms/marketing": {"granted": False},
        "email/marketing": {"granted": True},
        "phone/service": {"granted": False},
    }
    assert gate.consent(["sms", "email"], "marketing", consents) == (["email"], None)
    assert gate.consent(["sms"], "service", consents) == (["sms"], None)
    assert gate.consent(["sms"], "care", consents) == (
        [],
        gate.Stop("consent", "sms/marketing withdrawn"),
    )
    assert gate.consent(["advisor_task"], "service", consents)[1] == gate.Stop(
        "consent", "phone/service withdrawn"
    )


def cap(sent: list[gate.Sent], *, purpose: str = "marketing", channel: str = "sms", **limits):
    return gate.caps(
        purpose=purpose,
        campaign_id="A",
        channel=channel,
        at=NOW,
        local_day=local_day(NOW),
        day_of=local_day,
        sent=sent,
        limits=gate.Caps(**limits),
        campaign_limit=(1, 7),
    )


def test_marketing_is_capped_at_one_a_day_and_three_a_week_across_campaigns() -> None:
    earlier_today = gate.Sent("B", "email", NOW - timedelta(hours=1))
    assert cap([earlier_today]).gate == "cap_client_day"
    # 23:30 Shanghai the evening before is another day
    yesterday = gate.Sent("B", "email", datetime(2026, 11, 23, 15, 30, tzinfo=UTC))
    assert cap([yesterday]) is None
    week = [gate.Sent("B", "email", NOW - timedelta(days=d)) for d in (1, 2, 3)]
    assert cap(week).reason == "3 marketing touches in 7 days, cap 3"
    assert cap(week[:2]) is None


def test_service_notices_bypass_every_cap() -> None:
    full = [gate.Sent("B", "sms", NOW - timedelta(minutes=m)) for m in range(1, 10)]
    assert cap(full, purpose="service") is None


def test_per_campaign_and_per_channel_caps() -> None:
    assert cap([gate.Sent("A", "email", NOW - timedelta(days=3))]).gate == "cap_campaign"
    two_a_day = {"client_day": 5}
    assert cap([gate.Sent("B", "sms", NOW - timedelta(hours=1))], **two_a_day).gate == "cap_channel"
    assert (
        cap([gate.Sent("B", "sms", NOW - timedelta(hours=1))], channel="email", **two_a_day) is None
    )
