"""The envelope every event on every topic shares, and the base of all payloads."""

from copy import deepcopy
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from reach_contracts.values import ClientId, Identifier


class Payload(BaseModel):
    """Base of every event payload: immutable, unknown fields ignored."""

    # Unknown fields are ignored so producers can add fields within a topic version.
    model_config = ConfigDict(frozen=True, extra="ignore")


class Event(BaseModel):
    """One message on a topic: identity, type, time, the client it concerns, and a payload."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: Identifier = Field(description="Unique per event; consumers de-duplicate on it")
    event_type: str
    schema_version: int = Field(default=1, ge=1)
    occurred_at: AwareDatetime = Field(description="When it happened, with a UTC offset")
    client_id: ClientId = Field(description="The client concerned; also the Kafka message key")
    payload: BaseModel

    @classmethod
    def examples(cls) -> list[dict[str, Any]]:
        """Return copies of the example messages (JSON-ready dicts) this class documents."""
        extra = cls.model_config.get("json_schema_extra")
        examples: Any = extra.get("examples", []) if isinstance(extra, dict) else []
        return deepcopy(examples)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Mark event_type required: its default is for building events, producers must send it."""
        json_schema = handler(core_schema)
        target: dict[str, Any] = handler.resolve_ref_schema(json_schema)
        required = target.setdefault("required", [])
        if "event_type" in target.get("properties", {}) and "event_type" not in required:
            required.insert(1 if "event_id" in required else 0, "event_type")
        return json_schema


def event_type_of(event: type[Event]) -> str:
    """The event_type literal a concrete event class carries."""
    event_type: str = event.model_fields["event_type"].default
    return event_type
