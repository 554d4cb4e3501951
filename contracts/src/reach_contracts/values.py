"""Constrained value types shared by payloads: money, quantities, identifiers."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

DECIMAL_STRING_PATTERN = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"


@dataclass(frozen=True)
class _DecimalStringPattern:
    """Document the decimal-string form of a Decimal with a pattern, not just 'string'."""

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema: dict[str, Any] = handler(core_schema)
        for branch in json_schema.get("anyOf", []):
            if branch.get("type") == "string":
                branch.setdefault("pattern", DECIMAL_STRING_PATTERN)
        return json_schema


_Decimal = Annotated[Decimal, Field(allow_inf_nan=False), _DecimalStringPattern()]

Money = Annotated[_Decimal, Field(ge=0, description="CNY; a JSON number or a decimal string")]
SignedMoney = Annotated[_Decimal, Field(description="CNY, may be negative")]
Quantity = Annotated[
    _Decimal, Field(gt=0, description="Shares, units or lots; fractional for funds")
]
Price = Annotated[_Decimal, Field(ge=0, description="CNY per unit")]
Identifier = Annotated[str, Field(min_length=1, max_length=128)]
ClientId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
