"""Events from the product (fund and wealth product) subscription system."""

from typing import Literal

from pydantic import ConfigDict

from reach_contracts.enums import ProductRiskLevel
from reach_contracts.envelope import Event, Payload
from reach_contracts.values import Identifier, Money


class ProductTransactionPayload(Payload):
    """Which product, how much, and its risk rating when the seller knows it."""

    product_id: Identifier
    amount: Money
    risk_level: ProductRiskLevel | None = None


class ProductPurchasedPayload(ProductTransactionPayload):
    """A purchase or subscription of a product."""


class ProductRedeemedPayload(ProductTransactionPayload):
    """A redemption of a product."""


class ProductPurchased(Event):
    """A client subscribed to or bought a fund or wealth product."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "prd-20261123-0000201455",
                    "event_type": "product.purchased",
                    "schema_version": 1,
                    "occurred_at": "2026-11-23T13:42:09+08:00",
                    "client_id": "C00012345",
                    "payload": {"product_id": "F006011", "amount": "50000.00", "risk_level": "R2"},
                }
            ]
        }
    )

    event_type: Literal["product.purchased"] = "product.purchased"
    payload: ProductPurchasedPayload


class ProductRedeemed(Event):
    """A client redeemed a fund or wealth product."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "prd-20261124-0000201873",
                    "event_type": "product.redeemed",
                    "schema_version": 1,
                    "occurred_at": "2026-11-24T10:15:33+08:00",
                    "client_id": "C00012345",
                    "payload": {"product_id": "F006011", "amount": "20000.00", "risk_level": "R2"},
                }
            ]
        }
    )

    event_type: Literal["product.redeemed"] = "product.redeemed"
    payload: ProductRedeemedPayload
