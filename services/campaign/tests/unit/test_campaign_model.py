"""The campaign document: each element validated, errors located at the field at fault."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from reach_campaign.domain.assignment import variant_index
from reach_campaign.domain.catalogue import CatalogueItem
from reach_campaign.domain.model import CampaignSpec, OneMessageCampaign, cross_check, scene_key
from reach_campaign.domain.templates import TemplateError, portrait_variables, render


def document(**changes: Any) -> dict[str, Any]:
    base = {
        "name": "bond fund",
        "goal": {"primary_event": "product.purchased"},
        "service": {"purpose": "marketing", "item_id": "F006011"},
        "scene": {"kind": "segment_entered", "segment_id": "SEG-1"},
        "touchpoint": {"channels": ["sms"]},
        "script": {"variants": [{"channel": "sms", "script_id": "S1", "version": 1}]},
    }
    return base | changes


def errors(doc: dict[str, Any]) -> list[tuple[tuple, str]]:
    with pytest.raises(ValidationError) as caught:
        CampaignSpec.model_validate(doc)
    return [(e["loc"], e["msg"]) for e in caught.value.errors()]


def test_a_minimal_document_gets_the_domain_defaults() -> None:
    spec = CampaignSpec.model_validate(document())
    assert spec.touchpoint.send_window.start == "08:30"
    assert spec.touchpoint.send_window.end == "22:00"
    assert spec.evaluation.holdout_percent == 10
    assert spec.goal.attribution_window_days == 7
    assert spec.needs_approval
    assert scene_key(spec.scene) == ("segment_entered", "SEG-1")


def test_the_scene_is_a_union_told_apart_by_its_kind() -> None:
    exited = CampaignSpec.model_validate(
        document(scene={"kind": "segment_exited", "segment_id": "SEG-2"})
    )
    assert scene_key(exited.scene) == ("segment_exited", "SEG-2")
    assert errors(document(scene={"kind": "segment_entered"}))[0][0] == (
        "scene",
        "segment_entered",
        "segment_id",
    )
    assert errors(document(scene={"kind": "full_moon"}))[0][0] == ("scene",)


def test_errors_name_the_field_of_each_element() -> None:
    assert [
        loc
        for loc, _ in errors(
            document(
                goal={"primary_event": "trade.executed", "secondary_events": ["trade.executed"]}
            )
        )
    ] == [("goal", "secondary_events")]
    assert [loc for loc, _ in errors(document(service={"purpose": "marketing"}))] == [
        ("service", "item_id")
    ]
    assert [
        loc for loc, _ in errors(document(audience={"segments": ["A"], "exclude_segments": ["A"]}))
    ] == [("audience", "exclude_segments")]
    window = {"channels": ["sms"], "send_window": {"start": "22:00", "end": "08:30"}}
    assert [loc for loc, _ in errors(document(touchpoint=window))] == [
        ("touchpoint", "send_window", "end")
    ]
    assert [loc for loc, _ in errors(document(touchpoint={"channels": ["sms", "sms"]}))] == [
        ("touchpoint", "channels")
    ]
    assert [loc for loc, _ in errors(document(surprise=1))] == [("surprise",)]


def test_cross_element_rules_point_at_the_field_at_fault() -> None:
    spec = CampaignSpec.model_validate(
        document(
            touchpoint={"channels": ["sms", "wechat"]},
            script={"variants": [{"channel": "email", "script_id": "S1", "version": 1}]},
        )
    )
    assert cross_check(spec) == [
        (("script", "variants", 0, "channel"), "email is not a touchpoint"),
        (("touchpoint", "channels", 0), "no script variant for sms"),
        (("touchpoint", "channels", 1), "no script variant for wechat"),
        (("touchpoint", "channels", 1), "WeChat is for service notices only"),
    ]


def test_service_notices_need_no_item_and_no_approval() -> None:
    spec = CampaignSpec.model_validate(document(service={"purpose": "service"}))
    assert not spec.needs_approval
    care = CampaignSpec.model_validate(document(service={"purpose": "care"}))
    assert care.needs_approval


def test_the_one_message_form_becomes_a_full_document() -> None:
    message = OneMessageCampaign(
        name="thanks",
        trigger_segment_id="SEG-1",
        channel="email",
        body="Hi {client_id}",
        holdout_percent=5,
    )
    spec = message.spec("S9")
    assert spec.script.variants[0].script_id == "S9"
    assert spec.evaluation.holdout_percent == 5
    assert cross_check(spec) == []
    with pytest.raises(ValidationError, match="use the full campaign document"):
        OneMessageCampaign(
            name="x", trigger_segment_id="S", channel="sms", body="b", purpose="marketing"
        )


def test_products_in_the_catalogue_carry_a_risk_level() -> None:
    with pytest.raises(ValidationError, match="risk level"):
        CatalogueItem(name="fund", kind="product", purpose="marketing")
    assert CatalogueItem(name="report", kind="research", purpose="marketing").risk_level is None


def test_rendering_fills_placeholders_from_the_portrait_and_names_the_missing_one() -> None:
    variables = portrait_variables(
        "C1", {"advisor_id": "ADV7", "branch": None, "margin_eligible": True}
    )
    assert render("{client_id}/{advisor_id}/{margin_eligible}", variables) == "C1/ADV7/是"
    with pytest.raises(TemplateError) as caught:
        render("{branch}", variables)
    assert caught.value.placeholder == "branch"


def test_variants_are_shared_out_by_weight_and_stable_per_client() -> None:
    clients = [f"C{n}" for n in range(10_000)]
    picks = [variant_index("CMP", c, [1, 3]) for c in clients]
    assert 0.22 < picks.count(0) / len(picks) < 0.28
    assert picks == [variant_index("CMP", c, [1, 3]) for c in clients]
