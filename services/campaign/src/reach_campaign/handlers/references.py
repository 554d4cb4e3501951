"""A campaign's references to the catalogue and to scripts, checked against what exists."""

from __future__ import annotations

from reach_runtime.errors import Invalid
from sqlalchemy.ext.asyncio import AsyncSession

from reach_campaign.db.tables import CatalogueItemRow, ScriptRow, ScriptVersionRow
from reach_campaign.domain.model import CampaignSpec
from reach_campaign.handlers.scripts import findings


async def check_references(session: AsyncSession, spec: CampaignSpec, *, release: bool) -> None:
    """Every item and script version exists and fits; with `release`, each is fit to send."""
    purpose = spec.service.purpose
    if spec.service.item_id is not None:
        item = await session.get(CatalogueItemRow, spec.service.item_id)
        if item is None:
            raise Invalid(f"no catalogue item {spec.service.item_id!r}", field="service.item_id")
        if item.purpose != purpose:
            raise Invalid(
                f"catalogue item {item.id!r} is for {item.purpose}, the campaign for {purpose}",
                field="service.item_id",
            )
        if release and not item.active:
            raise Invalid(f"catalogue item {item.id!r} is retired", field="service.item_id")
    for index, variant in enumerate(spec.script.variants):
        at = f"script.variants.{index}"
        script = await session.get(ScriptRow, variant.script_id)
        if script is None:
            raise Invalid(f"no script {variant.script_id!r}", field=f"{at}.script_id")
        if script.channel != variant.channel:
            raise Invalid(
                f"script {script.name!r} is for {script.channel}, not {variant.channel}",
                field=f"{at}.channel",
            )
        if script.purpose != purpose:
            raise Invalid(
                f"script {script.name!r} is for {script.purpose}, the campaign for {purpose}",
                field=f"{at}.script_id",
            )
        version = await session.get(ScriptVersionRow, (script.id, variant.version))
        if version is None:
            raise Invalid(
                f"script {script.name!r} has no version {variant.version}", field=f"{at}.version"
            )
        if not release:
            continue
        found = findings(script, version)
        if found:
            raise Invalid(
                f"version {variant.version} of script {script.name!r} fails the linter: {found[0]}",
                field=f"{at}.version",
            )
        if spec.needs_approval and version.status != "approved":
            raise Invalid(
                f"version {variant.version} of script {script.name!r} is {version.status};"
                f" {purpose} scripts must be approved first",
                field=f"{at}.version",
            )
