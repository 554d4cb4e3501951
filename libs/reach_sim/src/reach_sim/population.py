"""A client population shaped like a Chinese retail brokerage's (numbers from DOMAIN.md)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

# Holdings per account (China, end 2016): share of accounts per asset band, CNY.
ASSET_BANDS: tuple[tuple[float, int, int], ...] = (
    (0.24, 100, 10_000),
    (0.48, 10_000, 100_000),
    (0.21, 100_000, 500_000),
    (0.04, 500_000, 1_000_000),
    (0.024, 1_000_000, 5_000_000),
    (0.0025, 5_000_000, 30_000_000),
)
RISK_LEVELS = (("C1", 0.08), ("C2", 0.22), ("C3", 0.40), ("C4", 0.22), ("C5", 0.08))
# What a client tends to do; new clients and prospects join during the simulated period.
BEHAVIOURS = (
    ("active_trader", 0.12),
    ("occasional", 0.25),
    ("sleeper", 0.33),
    ("churner", 0.03),
    ("deep_loss", 0.07),
    ("new_unfunded", 0.04),
    ("new_funded", 0.08),
    ("prospect", 0.08),  # follows the WeChat account first; may register, open, fund, trade
)
NEW = {"new_unfunded", "new_funded", "prospect"}
INSTITUTION_SHARE = 0.003  # of established clients: companies, funds, trusts (tiered apart)
REGIONS = ("Shanghai", "Beijing", "Guangdong", "Zhejiang", "Jiangsu", "Sichuan", "Hubei", "Fujian")
TIERS = (
    (Decimal(5_000_000), "private"),
    (Decimal(1_000_000), "high_net_worth"),
    (Decimal(300_000), "vip"),
)


@dataclass(frozen=True)
class Client:
    client_id: str
    account_id: str
    advisor_id: str
    branch: str
    region: str
    birth_year: int | None  # None for institutions
    gender: str | None
    opened_on: date  # for new clients and prospects: the day they join (if they do)
    risk_level: str
    assets: Decimal  # at the start of the period; what a new client brings when funding
    behaviour: str
    email: str | None
    phone: str | None
    wechat_openid: str | None
    kind: str = "individual"  # or "institution"

    @property
    def tier(self) -> str:
        """general / vip / high_net_worth / private, by assets (DOMAIN.md's lines)."""
        return next((name for line, name in TIERS if self.assets >= line), "general")


def pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted])[0]


def draw_assets(rng: random.Random) -> Decimal:
    _share, low, high = rng.choices(ASSET_BANDS, weights=[b[0] for b in ASSET_BANDS])[0]
    value = low * (high / low) ** rng.random()  # log-uniform: small balances are more common
    return Decimal(value).quantize(Decimal("0.01"))


def population(
    size: int, *, seed: int, start: date, days: int = 30, advisors: int = 20
) -> list[Client]:
    """`size` clients, the same ones for the same seed; new clients join within [start, start+days)."""
    rng = random.Random(f"population:{seed}")
    kinds = random.Random(f"kinds:{seed}")  # its own stream: the other draws stay as they were
    clients = []
    for n in range(1, size + 1):
        behaviour = pick(rng, BEHAVIOURS)
        institution = behaviour not in NEW and kinds.random() < INSTITUTION_SHARE
        if behaviour in NEW:
            joined = start + timedelta(days=rng.randrange(max(days - 3, 1)))
        else:
            joined = start - timedelta(days=rng.randint(60, 365 * 12))
        advisor, branch, region = rng.randint(1, advisors), rng.randint(1, 8), rng.choice(REGIONS)
        birth_year, gender = rng.randint(1950, 2004), rng.choice(("female", "male"))
        clients.append(
            Client(
                client_id=f"C{n:08d}",
                account_id=f"A{n:08d}",
                advisor_id=f"ADV{advisor:03d}",
                branch=f"BR{branch:02d}",
                region=region,
                birth_year=None if institution else birth_year,
                gender=None if institution else gender,
                opened_on=joined,
                risk_level=pick(rng, RISK_LEVELS),
                assets=draw_assets(rng) if behaviour != "new_unfunded" else Decimal(0),
                behaviour=behaviour,
                email=f"client{n}@mail.example" if rng.random() < 0.7 else None,
                phone=f"+8613{rng.randint(100_000_000, 999_999_999)}"
                if rng.random() < 0.95
                else None,
                wechat_openid=f"oWx{n:010d}"
                if rng.random() < 0.45 or behaviour == "prospect"
                else None,
                kind="institution" if institution else "individual",
            )
        )
    return clients
