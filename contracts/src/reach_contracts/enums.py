"""Enumerations shared by the event payloads of every topic."""

from enum import StrEnum


class Market(StrEnum):
    """Exchange a security trades on."""

    SSE = "SSE"
    SZSE = "SZSE"
    BSE = "BSE"
    HKEX = "HKEX"
    OTHER = "other"


class InstrumentType(StrEnum):
    """Kind of security or product traded or held."""

    STOCK = "stock"
    ETF = "etf"
    FUND = "fund"
    BOND = "bond"
    CONVERTIBLE = "convertible"
    OPTION = "option"
    REPO = "repo"
    WEALTH_PRODUCT = "wealth_product"


class Side(StrEnum):
    """Direction of a trade."""

    BUY = "buy"
    SELL = "sell"


class TradeChannel(StrEnum):
    """Where an order was placed."""

    APP = "app"
    WEB = "web"
    PC = "pc"
    WECHAT = "wechat"
    COUNTER = "counter"
    PHONE = "phone"


class LoginChannel(StrEnum):
    """Where a client logged in."""

    APP = "app"
    WEB = "web"
    PC = "pc"
    WECHAT = "wechat"


class TransferDirection(StrEnum):
    """Whether money came into or left the brokerage account."""

    IN = "in"
    OUT = "out"


class TransferMethod(StrEnum):
    """How money or assets moved."""

    BANK = "bank"
    CUSTODY_TRANSFER_OUT = "custody_transfer_out"


class ClientKind(StrEnum):
    """Whether the account holder is a person or an institution (institutions are tiered apart)."""

    INDIVIDUAL = "individual"
    INSTITUTION = "institution"


class Gender(StrEnum):
    """Gender as recorded at account opening."""

    FEMALE = "female"
    MALE = "male"
    UNKNOWN = "unknown"


class RiskLevel(StrEnum):
    """Client risk tolerance from the suitability assessment, C1 (lowest) to C5."""

    C1 = "C1"
    C2 = "C2"
    C3 = "C3"
    C4 = "C4"
    C5 = "C5"


class ProductRiskLevel(StrEnum):
    """Product risk rating, R1 (lowest) to R5."""

    R1 = "R1"
    R2 = "R2"
    R3 = "R3"
    R4 = "R4"
    R5 = "R5"


class InvestmentHorizon(StrEnum):
    """Investment horizon stated in the risk assessment."""

    SHORT = "short"
    MEDIUM = "medium"
    LONG = "long"


class ConsentChannel(StrEnum):
    """Channel a client grants or withdraws contact consent for."""

    SMS = "sms"
    EMAIL = "email"
    PUSH = "push"
    WECHAT = "wechat"
    INAPP = "inapp"
    PHONE = "phone"


class Channel(StrEnum):
    """Outreach channel Reach delivers through."""

    SMS = "sms"
    EMAIL = "email"
    PUSH = "push"
    WECHAT = "wechat"
    INAPP = "inapp"
    ADVISOR_TASK = "advisor_task"


class Purpose(StrEnum):
    """Why a client is contacted: marketing needs consent and caps, service notices less."""

    MARKETING = "marketing"
    SERVICE = "service"
