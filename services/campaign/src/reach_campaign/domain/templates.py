"""Script templates: `{name}` placeholders, as the notifier renders them (contract OutreachRequested).

Only plain names are allowed (no attribute access, indexing, format specs), so a template can
reveal nothing but the variables it is given.
"""

from __future__ import annotations

import string
from typing import Any

from reach_contracts import Portrait

# What a template may name: the client, the campaign, the trigger's segment, any portrait field.
# `occasion` is a schedule's festival name or date.
VARIABLES = frozenset({"client_id", "campaign_name", "segment", "occasion", *Portrait.model_fields})


class TemplateError(ValueError):
    """A template that cannot be rendered; `placeholder` names the culprit when there is one."""

    def __init__(self, message: str, placeholder: str | None = None) -> None:
        super().__init__(message)
        self.placeholder = placeholder


def placeholders(template: str) -> list[str]:
    """The names a template uses, in order of first use; malformed templates raise TemplateError."""
    names: list[str] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as error:
        raise TemplateError(
            f"malformed template: {error} (write {{{{ for a literal brace)"
        ) from None
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        if spec or conversion or not field.isidentifier():
            raise TemplateError(f"placeholder {{{field}}} must be a plain name", field)
        if field not in names:
            names.append(field)
    return names


def unknown_placeholders(template: str) -> list[str]:
    """Placeholders no client could ever fill."""
    return [name for name in placeholders(template) if name not in VARIABLES]


def portrait_variables(client_id: str, portrait: dict[str, Any]) -> dict[str, str]:
    """A stored portrait (JSON form) as template variables; empty fields are left out."""
    variables = {"client_id": client_id}
    for name, value in portrait.items():
        if value is None or value == [] or value == {}:
            continue
        variables[name] = value if isinstance(value, str) else _text(value)
    return variables


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def render(template: str, variables: dict[str, str]) -> str:
    """Fill every placeholder; a missing variable raises TemplateError naming it."""
    for name in placeholders(template):
        if name not in variables:
            raise TemplateError(f"no value for placeholder {{{name}}}", name)
    return template.format_map(variables)
