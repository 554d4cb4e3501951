"""A small brokerage story for analytics tests, built from the contracts' own examples.

CMP-A (goal trade.executed, 7 days, segment SEG-1): 40 requested (C01..C40; C40 refused by the
notifier: no contact), 39 sent, 35 held out (H01..H35), 3 stopped by gates (one decided at
01:00 Asia/Shanghai the next day). Variant A for odd numbers, B for even, for both arms.
Treated C01..C12 trade a day after the touch; C13 traded an hour before it, C14 eight days after.
Held-out H01..H05 trade two days after the decision. One failed send quotes an e-mail address.
CMP-B (goal funds.transferred, 3 days): C01..C05 sent at T+12h; C01 deposits 50,000 a day later,
C02 moves money out, C03 deposits after the window.
CMP-C (goal trade.executed): C01 sent at T+20h, so C01's trade is in CMP-A's and CMP-C's windows.
CMP-D (goal valid_account): C20 sent and H20 held out at T; C20 reaches 12,000 of assets, H20 8,000.
Paths: P1, P2, P5 follow WeChat, then register in the app, then trade; P3 registers, then follows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from reach_contracts import Event, event_class

T = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai
EMAIL = "li.na@example.com"


def make(event_type: str, event_id: str, client_id: str, at: datetime, **payload: Any) -> Event:
    """The contract's example of this type with another id, client, time and payload fields."""
    cls = event_class(event_type)
    example = cls.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index]
    document = {
        **example,
        "event_id": event_id,
        "client_id": client_id,
        "occurred_at": at.isoformat(),
        "payload": {**example["payload"], **payload},
    }
    return cls.model_validate(document)


def _key(campaign: str, client: str) -> str:
    return f"{campaign}:{client}"


def _decision(
    event_type: str, campaign: str, client: str, at: datetime, goal: str, window: int, **more: Any
) -> Event:
    prefix = {"outreach.requested": "req", "outreach.held_out": "hld"}[event_type]
    return make(
        event_type,
        f"{prefix}-{campaign}-{client}",
        client,
        at,
        idempotency_key=_key(campaign, client),
        campaign_id=campaign,
        campaign_name=f"campaign {campaign}",
        goal_event=goal,
        attribution_window_days=window,
        trigger_event_id=f"trg-{campaign}-{client}",
        **more,
    )


def requested(
    campaign: str, client: str, at: datetime, *, goal: str, window: int, **more: Any
) -> Event:
    return _decision("outreach.requested", campaign, client, at, goal, window, **more)


def held_out(
    campaign: str, client: str, at: datetime, *, goal: str, window: int, **more: Any
) -> Event:
    return _decision("outreach.held_out", campaign, client, at, goal, window, **more)


def suppressed(campaign: str, client: str, at: datetime, gate: str, reason: str) -> Event:
    return make(
        "outreach.suppressed",
        f"sup-{campaign}-{client}",
        client,
        at,
        idempotency_key=_key(campaign, client),
        campaign_id=campaign,
        campaign_name=f"campaign {campaign}",
        trigger_event_id=f"trg-{campaign}-{client}",
        gate=gate,
        reason=reason,
        goal_event="trade.executed",
        attribution_window_days=7,
    )


def delivery(kind: str, campaign: str, client: str, at: datetime, **more: Any) -> Event:
    payload: dict[str, Any] = {"idempotency_key": _key(campaign, client), "campaign_id": campaign}
    if kind in ("delivery.sent", "delivery.receipted"):
        payload["provider_message_id"] = f"p-{campaign}-{client}"
    return make(
        kind, f"{kind}-{campaign}-{client}-{more.get('status', '')}", client, at, **payload, **more
    )


def trade(client: str, at: datetime, n: int = 0, amount: str = "10000.00") -> Event:
    return make(
        "trade.executed", f"trd-{client}-{n}", client, at, trade_id=f"T-{client}-{n}", amount=amount
    )


def scenario() -> list[tuple[str, Event]]:
    """(topic, event) in the order things happened."""
    out: list[tuple[str, Event]] = []
    outreach, deliveries = "reach.outreach.v1", "reach.deliveries.v1"
    trades = "trading.trades.v1"
    a = {"goal": "trade.executed", "window": 7, "segment_id": "SEG-1"}
    for n in range(1, 41):
        client, variant = f"C{n:02d}", "A" if n % 2 else "B"
        out.append(
            (
                outreach,
                requested(
                    "CMP-A",
                    client,
                    T,
                    **a,
                    variant=variant,
                    channel="sms",
                    script_version=f"S1@{1 if n % 2 else 2}",
                ),
            )
        )
        if n == 40:
            out.append(
                (
                    deliveries,
                    delivery(
                        "delivery.suppressed",
                        "CMP-A",
                        client,
                        T + timedelta(minutes=1),
                        channel="sms",
                        reason=f"no_contact ({EMAIL} bounced, 13812345678 unreachable)",
                    ),
                )
            )
            continue
        if n == 7:
            out.append(
                (
                    deliveries,
                    delivery(
                        "delivery.failed",
                        "CMP-A",
                        client,
                        T + timedelta(seconds=30),
                        channel="sms",
                        attempt=1,
                        reason=f"smtp 550 <{EMAIL}> unknown; 13812345678",
                    ),
                )
            )
        out.append(
            (
                deliveries,
                delivery(
                    "delivery.sent",
                    "CMP-A",
                    client,
                    T + timedelta(minutes=1),
                    channel="sms",
                    attempt=1,
                ),
            )
        )
        for first_n, minutes, status in (
            (20, 2, "delivered"),
            (6, 9, "opened"),
            (2, 10, "clicked"),
        ):
            if n <= first_n:  # the first clients' receipts go further down the funnel
                receipt = delivery(
                    "delivery.receipted",
                    "CMP-A",
                    client,
                    T + timedelta(minutes=minutes),
                    channel="sms",
                    status=status,
                )
                out.append((deliveries, receipt))
    out.append(
        (
            deliveries,
            delivery(
                "delivery.receipted",
                "CMP-A",
                "C02",
                T + timedelta(hours=1),
                channel="sms",
                status="reached",
            ),
        )
    )
    out.append(
        (
            deliveries,
            delivery(
                "delivery.receipted",
                "CMP-A",
                "C03",
                T + timedelta(hours=1),
                channel="sms",
                status="no_answer",
            ),
        )
    )
    for n in range(1, 36):
        out.append(
            (
                outreach,
                held_out(
                    "CMP-A", f"H{n:02d}", T, **a, variant="A" if n % 2 else "B", channel="sms"
                ),
            )
        )
    out.append((outreach, suppressed("CMP-A", "S1", T, "consent", "no consent for sms marketing")))
    out.append((outreach, suppressed("CMP-A", "S2", T, "consent", "no consent for sms marketing")))
    out.append(
        (
            outreach,
            suppressed(
                "CMP-A",
                "S3",
                T + timedelta(hours=15),
                "suitability",
                "F-EQ is R4; risk level C3 allows R1-R3",
            ),
        )
    )
    for n in range(1, 13):
        out.append((trades, trade(f"C{n:02d}", T + timedelta(days=1))))
    out.append((trades, trade("C13", T - timedelta(hours=1))))
    out.append((trades, trade("C14", T + timedelta(days=8))))
    for n in range(1, 6):
        out.append((trades, trade(f"H{n:02d}", T + timedelta(days=2))))

    b_at = T + timedelta(hours=12)
    for n in range(1, 6):
        client = f"C{n:02d}"
        out.append(
            (
                outreach,
                requested(
                    "CMP-B", client, b_at, goal="funds.transferred", window=3, channel="email"
                ),
            )
        )
        out.append(
            (
                deliveries,
                delivery("delivery.sent", "CMP-B", client, b_at, channel="email", attempt=1),
            )
        )
    transfers = "trading.fund-transfers.v1"
    out.append(
        (
            transfers,
            make(
                "funds.transferred",
                "dep-C01",
                "C01",
                T + timedelta(days=1, hours=1),
                direction="in",
                amount="50000.00",
            ),
        )
    )
    out.append(
        (
            transfers,
            make(
                "funds.transferred",
                "out-C02",
                "C02",
                T + timedelta(days=1),
                direction="out",
                amount="9000.00",
            ),
        )
    )
    out.append(
        (
            transfers,
            make(
                "funds.transferred",
                "dep-C03",
                "C03",
                T + timedelta(days=4),
                direction="in",
                amount="7000.00",
            ),
        )
    )

    c_at = T + timedelta(hours=20)
    out.append(
        (outreach, requested("CMP-C", "C01", c_at, goal="trade.executed", window=7, channel="push"))
    )
    out.append(
        (deliveries, delivery("delivery.sent", "CMP-C", "C01", c_at, channel="push", attempt=1))
    )

    out.append(
        (outreach, requested("CMP-D", "C20", T, goal="valid_account", window=7, channel="sms"))
    )
    out.append((deliveries, delivery("delivery.sent", "CMP-D", "C20", T, channel="sms", attempt=1)))
    out.append((outreach, held_out("CMP-D", "H20", T, goal="valid_account", window=7)))
    positions = "trading.positions.v1"
    for client, day, total in (
        ("C20", 22, "5000"),
        ("C20", 24, "12000"),
        ("H20", 22, "5000"),
        ("H20", 24, "8000"),
    ):
        at = datetime(2026, 11, day, 8, 0, tzinfo=UTC)
        out.append(
            (
                positions,
                make(
                    "positions.snapshot",
                    f"pos-{client}-{day}",
                    client,
                    at,
                    account_id=f"A-{client}",
                    trading_day=f"2026-11-{day}",
                    cash="0",
                    total_assets=total,
                    holdings=[],
                ),
            )
        )

    engagement = "engagement.events.v1"
    d = T - timedelta(days=10)
    for client, gaps in (("P1", (2, 24)), ("P2", (4, 48)), ("P5", (6, 12))):
        out.append((engagement, make("wechat.followed", f"wx-{client}", client, d)))
        out.append(
            (
                engagement,
                make("app.registered", f"app-{client}", client, d + timedelta(hours=gaps[0])),
            )
        )
        out.append((trades, trade(client, d + timedelta(hours=gaps[0] + gaps[1]))))
    out.append((engagement, make("app.registered", "app-P3", "P3", d)))
    out.append((engagement, make("wechat.followed", "wx-P3", "P3", d + timedelta(hours=1))))
    return out


TREATED_A = (39, 12)  # clients, converted
HOLDOUT_A = (35, 5)
AMOUNT = Decimal("10000.00")
