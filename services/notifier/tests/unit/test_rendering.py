"""Rendering a script for a client: plain placeholders only, nothing else reachable."""

from __future__ import annotations

import pytest
from reach_notifier.domain.rendering import render


def test_placeholders_are_filled_from_the_clients_variables() -> None:
    text = render(
        "{name}, your advisor {advisor} has a note for you.", {"name": "Li Wei", "advisor": "Zhang"}
    )
    assert text == "Li Wei, your advisor Zhang has a note for you."


def test_a_placeholder_may_appear_more_than_once() -> None:
    assert render("{name}! {name}?", {"name": "Li"}) == "Li! Li?"


def test_a_placeholder_with_no_value_is_left_visible_in_the_text() -> None:
    assert render("Hello {name}, code {code}", {"name": "Li"}) == "Hello Li, code {code}"


def test_a_template_without_placeholders_is_returned_as_it_is() -> None:
    assert render("Markets close early today.", {"name": "Li"}) == "Markets close early today."


def test_doubled_braces_stay_as_literal_braces() -> None:
    assert render("{{name}} is {name}", {"name": "Li"}) == "{name} is Li"


def test_values_are_inserted_verbatim_and_not_rendered_again() -> None:
    assert render("Hi {name}", {"name": "{secret}", "secret": "x"}) == "Hi {secret}"


@pytest.mark.parametrize(
    "template",
    [
        "{name.__class__}",
        "{name.__class__.__mro__}",
        "{name[0]}",
        "{name:>20}",
        "{name!r}",
        "{0}",
        "{}",
        "{name-1}",
    ],
)
def test_anything_but_a_plain_name_in_a_placeholder_is_refused(template: str) -> None:
    with pytest.raises(ValueError, match="plain name"):
        render(f"Dear {template}", {"name": "Li"})


@pytest.mark.parametrize("template", ["Dear {name", "Dear name}", "{"])
def test_unbalanced_braces_are_refused(template: str) -> None:
    with pytest.raises(ValueError):
        render(template, {"name": "Li"})
