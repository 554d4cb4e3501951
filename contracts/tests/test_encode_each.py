"""`encode_each`: one event's JSON written once, each client's ids put in, equal to `encode`."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from reach_contracts import (
    SegmentEntered,
    SegmentMembershipChange,
    decode,
    encode,
    encode_each,
)

AT = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
TOPIC = "reach.segment-memberships.v1"


def entered(client_id: str, event_id: str, name: str = '活跃客户 "A"') -> SegmentEntered:
    return SegmentEntered(
        event_id=event_id,
        occurred_at=AT,
        client_id=client_id,
        payload=SegmentMembershipChange(segment_id="SEG-1", segment_name=name),
    )


def test_each_event_is_byte_for_byte_what_encode_gives():
    ids = [("C0001", "e-1"), ("c_x-9", "0b6c1f6e-5d2a-5f0e-9d3c-1a2b3c4d5e6f"), ("Z" * 64, "x")]
    made = list(encode_each(entered("C0000", "e-0"), ids))
    assert made == [(c, encode(entered(c, e))) for c, e in ids]
    assert [decode(TOPIC, value).client_id for _, value in made] == [c for c, _ in ids]


def test_ids_that_need_escaping_are_encoded_in_full():
    made = dict(encode_each(entered("C1", "e-1"), [("C2", 'id "quoted" é')]))
    assert made == {"C2": encode(entered("C2", 'id "quoted" é'))}


def test_a_bad_client_id_is_refused_as_encode_would():
    with pytest.raises(ValidationError, match="client_id"):
        list(encode_each(entered("C1", "e-1"), [("not a client id!", "e-2")]))


def test_a_template_whose_text_holds_a_marker_falls_back_to_full_encoding():
    template = entered("C1", "e-1", name="reach-template-client")
    made = list(encode_each(template, [("C2", "e-2")]))
    assert made == [("C2", encode(entered("C2", "e-2", name="reach-template-client")))]
