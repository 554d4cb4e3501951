"""Events from the account system: opening, risk assessment, contacts, consent, closing."""

from datetime import date
from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from reach_contracts.enums import (
    ClientKind,
    ConsentChannel,
    Gender,
    InvestmentHorizon,
    Purpose,
    RiskLevel,
)
from reach_contracts.envelope import Event, Payload
from reach_contracts.values import Identifier


class AccountOpenedPayload(Payload):
    """Who opened an account, where, and with which advisor."""

    account_id: Identifier
    opened_on: date
    branch: str = Field(min_length=1, max_length=128)
    advisor_id: Identifier
    client_kind: ClientKind = ClientKind.INDIVIDUAL
    birth_year: int | None = Field(default=None, ge=1900, le=2100, description="Individuals only")
    birth_date: date | None = Field(
        default=None, description="Individuals only; when given, its year is birth_year"
    )
    gender: Gender | None = Field(default=None, description="Individuals only")
    region: str = Field(min_length=1, max_length=64, description="Province or city of residence")

    @model_validator(mode="after")
    def _individuals_have_birth_year_and_gender(self) -> "AccountOpenedPayload":
        if self.client_kind == ClientKind.INDIVIDUAL:
            missing = [f for f in ("birth_year", "gender") if getattr(self, f) is None]
            if missing:
                raise ValueError(f"an individual's account needs {' and '.join(missing)}")
        return self

    @model_validator(mode="after")
    def _birth_date_agrees_with_birth_year(self) -> "AccountOpenedPayload":
        if self.birth_date is not None and self.birth_year is not None:
            if self.birth_date.year != self.birth_year:
                raise ValueError("birth_date must fall in birth_year")
        return self


class AccountOpened(Event):
    """A client opened a brokerage account."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "acc-20261102-0000045120",
                    "event_type": "account.opened",
                    "schema_version": 1,
                    "occurred_at": "2026-11-02T10:12:48+08:00",
                    "client_id": "C00012345",
                    "payload": {
                        "account_id": "A310000012345",
                        "opened_on": "2026-11-02",
                        "branch": "上海浦东新区世纪大道营业部",
                        "advisor_id": "ADV0217",
                        "birth_year": 1986,
                        "birth_date": "1986-04-17",
                        "gender": "female",
                        "region": "上海",
                    },
                }
            ]
        }
    )

    event_type: Literal["account.opened"] = "account.opened"
    payload: AccountOpenedPayload


class AccountRiskAssessedPayload(Payload):
    """Outcome of a suitability (risk tolerance) assessment."""

    risk_level: RiskLevel
    lowest_category: bool = Field(description="Lowest-risk-category investor: R1 products only")
    expires_on: date = Field(description="After this day the assessment counts as unknown")
    horizon: InvestmentHorizon
    professional: bool = Field(description="Professional investor under the suitability rules")


class AccountRiskAssessed(Event):
    """A client completed a risk assessment."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "acc-20261102-0000045121",
                    "event_type": "account.risk_assessed",
                    "schema_version": 1,
                    "occurred_at": "2026-11-02T10:25:03+08:00",
                    "client_id": "C00012345",
                    "payload": {
                        "risk_level": "C4",
                        "lowest_category": False,
                        "expires_on": "2029-11-01",
                        "horizon": "medium",
                        "professional": False,
                    },
                }
            ]
        }
    )

    event_type: Literal["account.risk_assessed"] = "account.risk_assessed"
    payload: AccountRiskAssessedPayload


class AccountContactChangedPayload(Payload):
    """The client's contact details after the change; None means not on file."""

    phone: str | None = None
    email: str | None = None
    wechat_openid: str | None = None


class AccountContactChanged(Event):
    """A client's phone, e-mail or WeChat binding changed (sensitive: mask in logs)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "acc-20261115-0000047733",
                    "event_type": "account.contact_changed",
                    "schema_version": 1,
                    "occurred_at": "2026-11-15T19:40:11+08:00",
                    "client_id": "C00012345",
                    "payload": {
                        "phone": "+8613800138000",
                        "email": "li.na@example.com",
                        "wechat_openid": "oX9kT5aBcDeFgHiJkLmNoPqRsTuV",
                    },
                }
            ]
        }
    )

    event_type: Literal["account.contact_changed"] = "account.contact_changed"
    payload: AccountContactChangedPayload


class AccountConsentChangedPayload(Payload):
    """A grant or withdrawal of consent for one channel and purpose."""

    channel: ConsentChannel
    purpose: Purpose
    granted: bool
    source: str = Field(
        min_length=1, max_length=64, description="Where it came from, e.g. app_settings, sms_reply"
    )


class AccountConsentChanged(Event):
    """A client granted or withdrew consent to be contacted on a channel."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "acc-20261118-0000048102",
                    "event_type": "account.consent_changed",
                    "schema_version": 1,
                    "occurred_at": "2026-11-18T21:03:56+08:00",
                    "client_id": "C00012345",
                    "payload": {
                        "channel": "sms",
                        "purpose": "marketing",
                        "granted": False,
                        "source": "sms_reply",
                    },
                }
            ]
        }
    )

    event_type: Literal["account.consent_changed"] = "account.consent_changed"
    payload: AccountConsentChangedPayload


class AccountClosedPayload(Payload):
    """Why the account was closed, when known."""

    reason: str | None = None


class AccountClosed(Event):
    """A client closed their account."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "acc-20261121-0000048990",
                    "event_type": "account.closed",
                    "schema_version": 1,
                    "occurred_at": "2026-11-21T15:20:00+08:00",
                    "client_id": "C00098765",
                    "payload": {"reason": "transferred to another broker"},
                }
            ]
        }
    )

    event_type: Literal["account.closed"] = "account.closed"
    payload: AccountClosedPayload
