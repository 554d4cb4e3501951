"""Segment membership transitions emitted by the segmenter (topic reach.segment-memberships.v1)."""

from typing import Literal

from pydantic import ConfigDict, Field

from reach_contracts.envelope import Event, Payload
from reach_contracts.values import Identifier


class SegmentMembershipChange(Payload):
    """Which segment a client entered or left, and the portrait version that caused it."""

    segment_id: Identifier
    segment_name: str
    portrait_version: int | None = Field(
        default=None, ge=1, description="None when a clock sweep, not a portrait, caused it"
    )


class SegmentEntered(Event):
    """A client became a member of a segment."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "seg-SEG-large-outflow-C00012345-3",
                    "event_type": "segment.entered",
                    "schema_version": 1,
                    "occurred_at": "2026-11-20T14:05:41.020+08:00",
                    "client_id": "C00012345",
                    "payload": {
                        "segment_id": "SEG-large-outflow",
                        "segment_name": "30 日净流出超过资产 50%",
                        "portrait_version": 39,
                    },
                }
            ]
        }
    )

    event_type: Literal["segment.entered"] = "segment.entered"
    payload: SegmentMembershipChange


class SegmentExited(Event):
    """A client stopped being a member of a segment."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "seg-SEG-sleeping-90d-C00012345-2",
                    "event_type": "segment.exited",
                    "schema_version": 1,
                    "occurred_at": "2026-11-23T08:47:15.610+08:00",
                    "client_id": "C00012345",
                    "payload": {
                        "segment_id": "SEG-sleeping-90d",
                        "segment_name": "90 天未登录未交易",
                        "portrait_version": 41,
                    },
                }
            ]
        }
    )

    event_type: Literal["segment.exited"] = "segment.exited"
    payload: SegmentMembershipChange
