"""Rendering a script for a client: placeholders filled, unknown ones left visible."""

from __future__ import annotations

import string


class _Keep(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(template: str, variables: dict[str, str]) -> str:
    """Fill `{name}` placeholders; raises ValueError on a malformed template."""
    for _, field, spec, conversion in string.Formatter().parse(template):
        if field is not None and (spec or conversion or not field.isidentifier()):
            raise ValueError(f"placeholder {{{field}}} must be a plain name")
    return template.format_map(_Keep(variables))
