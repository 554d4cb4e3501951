"""Commands on campaigns: create, edit (a new version once approved), submit, approve or reject,
activate, pause, end. Every change is audited in its own transaction."""

from __future__ import annotations

import uuid

from reach_runtime.errors import Conflict
from reach_runtime.uow import UnitOfWork
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from reach_campaign.adapters.audit import audited, record_created
from reach_campaign.adapters.rows import get_or_not_found
from reach_campaign.db.tables import CampaignRow, CampaignTriggerRow, CampaignVersionRow
from reach_campaign.domain.model import CampaignSpec, OneMessageCampaign, scene_key
from reach_campaign.handlers import versioning
from reach_campaign.handlers.references import check_references
from reach_campaign.handlers.scripts import new_script


async def get_campaign(session: AsyncSession, campaign_id: str) -> CampaignRow:
    return await get_or_not_found(
        session,
        CampaignRow,
        campaign_id,
        missing=f"no campaign {campaign_id!r}",
        field="campaign_id",
    )


async def get_version(session: AsyncSession, campaign_id: str, version: int) -> CampaignVersionRow:
    return await versioning.get_version(
        session, CampaignVersionRow, campaign_id, version, what="campaign"
    )


async def _open_campaign(session: AsyncSession, campaign_id: str) -> CampaignRow:
    """A campaign that has not ended (an ended one never changes again)."""
    campaign = await get_campaign(session, campaign_id)
    if campaign.status == "ended":
        raise Conflict("the campaign has ended", field="status")
    return campaign


async def versions(session: AsyncSession, campaign_id: str) -> list[CampaignVersionRow]:
    return await versioning.all_versions(session, CampaignVersionRow.campaign_id, campaign_id)


async def _name_is_free(session: AsyncSession, name: str, campaign_id: str | None = None) -> None:
    holder = await session.scalar(select(CampaignRow).where(CampaignRow.name == name))
    if holder is not None and holder.id != campaign_id:
        raise Conflict(f"a campaign named {name!r} exists", field="name")


async def create_campaign(*, uow: UnitOfWork, actor: str, spec: CampaignSpec) -> CampaignRow:
    """A new campaign whose version 1 is a draft: it fires nothing until approved."""
    campaign = await _new_campaign(uow, actor, spec)
    await uow.commit()
    return campaign


async def create_message_campaign(
    *, uow: UnitOfWork, actor: str, message: OneMessageCampaign
) -> CampaignRow:
    """The one-message form: its words become a script of one version, then a campaign."""
    await _name_is_free(uow.session, message.name)
    script = await new_script(
        uow=uow,
        actor=actor,
        name=message.name,
        channel=message.channel,
        purpose=message.purpose,
        subject=message.subject,
        body=message.body,
    )
    await uow.session.flush()
    campaign = await _new_campaign(uow, actor, message.spec(script.id))
    await uow.commit()
    return campaign


async def _new_campaign(uow: UnitOfWork, actor: str, spec: CampaignSpec) -> CampaignRow:
    await _name_is_free(uow.session, spec.name)
    await check_references(uow.session, spec, release=False)
    now = uow.clock.now()
    campaign = CampaignRow(
        id=str(uuid.uuid4()),
        name=spec.name,
        status="draft",
        live_version=None,
        latest_version=1,
        created_by=actor,
        created_at=now,
    )
    uow.session.add(campaign)
    await uow.session.flush()
    record_created(uow, campaign, actor=actor, entity_type="campaign", entity_id=campaign.id)
    _new_version(uow, actor, campaign, spec)
    return campaign


def _new_version(
    uow: UnitOfWork, actor: str, campaign: CampaignRow, spec: CampaignSpec
) -> CampaignVersionRow:
    version = CampaignVersionRow(
        campaign_id=campaign.id, version=campaign.latest_version, spec=spec.model_dump(mode="json")
    )
    return versioning.add_draft(
        uow, version, actor=actor, entity_type="campaign_version", parent_id=campaign.id
    )


async def edit_campaign(
    *, uow: UnitOfWork, actor: str, campaign_id: str, spec: CampaignSpec
) -> CampaignVersionRow:
    """A draft is edited in place; otherwise the edit becomes a new draft version."""
    campaign = await _open_campaign(uow.session, campaign_id)
    await _name_is_free(uow.session, spec.name, campaign.id)
    await check_references(uow.session, spec, release=False)
    latest = await get_version(uow.session, campaign.id, campaign.latest_version)
    if latest.status == "pending_approval":
        raise Conflict(
            f"version {latest.version} awaits approval: approve or reject it first", field="status"
        )
    with audited(
        uow, campaign, actor=actor, entity_type="campaign", entity_id=campaign.id, action="edit"
    ):
        campaign.name = spec.name
        if latest.status == "draft":
            with audited(
                uow,
                latest,
                actor=actor,
                entity_type="campaign_version",
                entity_id=f"{campaign.id}/{latest.version}",
                action="edit",
            ):
                latest.spec, latest.author = spec.model_dump(mode="json"), actor
            version = latest
        else:
            campaign.latest_version += 1
            version = _new_version(uow, actor, campaign, spec)
    await uow.commit()
    return version


async def submit_campaign(*, uow: UnitOfWork, actor: str, campaign_id: str) -> CampaignRow:
    """The latest draft goes to a second person for approval."""
    campaign = await _open_campaign(uow.session, campaign_id)
    latest = await get_version(uow.session, campaign.id, campaign.latest_version)
    versioning.check_can_submit(latest)
    await check_references(uow.session, CampaignSpec.model_validate(latest.spec), release=True)
    await _change(
        uow,
        actor,
        campaign,
        latest,
        "submit",
        version_status="pending_approval",
        status="pending_approval" if campaign.live_version is None else None,
    )
    return campaign


async def review_campaign(
    *, uow: UnitOfWork, actor: str, campaign_id: str, approve: bool, note: str | None
) -> CampaignRow:
    """Approve (the version goes live) or reject the pending version; never by its author."""
    campaign = await _open_campaign(uow.session, campaign_id)
    latest = await get_version(uow.session, campaign.id, campaign.latest_version)
    versioning.check_can_review(latest, reviewer=actor)
    if not approve:
        await _change(
            uow,
            actor,
            campaign,
            latest,
            "reject",
            version_status="rejected",
            status="draft" if campaign.live_version is None else None,
            note=note,
        )
        return campaign
    await check_references(uow.session, CampaignSpec.model_validate(latest.spec), release=True)
    await _change(
        uow, actor, campaign, latest, "approve", version_status="approved", note=note, go_live=True
    )
    return campaign


async def activate_campaign(*, uow: UnitOfWork, actor: str, campaign_id: str) -> CampaignRow:
    """Resume a paused campaign, or put a service notice's draft live (no approval needed)."""
    campaign = await _open_campaign(uow.session, campaign_id)
    latest = await get_version(uow.session, campaign.id, campaign.latest_version)
    if campaign.status == "paused":
        await _change(uow, actor, campaign, None, "resume", status="active")
        return campaign
    if latest.status == "draft":
        spec = CampaignSpec.model_validate(latest.spec)
        if spec.needs_approval:
            raise Conflict(
                f"a {spec.service.purpose} campaign needs a second person's approval:"
                " submit it, then another person approves",
                field="status",
            )
        await check_references(uow.session, spec, release=True)
        await _change(
            uow,
            actor,
            campaign,
            latest,
            "activate",
            version_status="approved",
            go_live=True,
            status="active",
        )
        return campaign
    if campaign.status != "active":
        raise Conflict(f"the campaign is {campaign.status}", field="status")
    return campaign


async def pause_campaign(*, uow: UnitOfWork, actor: str, campaign_id: str) -> CampaignRow:
    campaign = await get_campaign(uow.session, campaign_id)
    if campaign.status != "active":
        raise Conflict(
            f"only an active campaign can be paused; it is {campaign.status}", field="status"
        )
    await _change(uow, actor, campaign, None, "pause", status="paused")
    return campaign


async def end_campaign(*, uow: UnitOfWork, actor: str, campaign_id: str) -> CampaignRow:
    """Stop for good: an ended campaign never fires or changes again."""
    campaign = await get_campaign(uow.session, campaign_id)
    if campaign.status == "ended":
        raise Conflict("the campaign has already ended", field="status")
    with audited(
        uow, campaign, actor=actor, entity_type="campaign", entity_id=campaign.id, action="end"
    ):
        campaign.status, campaign.ended_at = "ended", uow.clock.now()
        await uow.session.execute(
            delete(CampaignTriggerRow).where(CampaignTriggerRow.campaign_id == campaign.id)
        )
    await uow.commit()
    return campaign


async def _change(
    uow: UnitOfWork,
    actor: str,
    campaign: CampaignRow,
    version: CampaignVersionRow | None,
    action: str,
    *,
    version_status: str | None = None,
    status: str | None = None,
    note: str | None = None,
    go_live: bool = False,
) -> None:
    now = uow.clock.now()
    with audited(
        uow, campaign, actor=actor, entity_type="campaign", entity_id=campaign.id, action=action
    ):
        if version is not None and version_status is not None:
            if action == "submit":
                versioning.mark_submitted(
                    uow,
                    version,
                    actor=actor,
                    at=now,
                    entity_type="campaign_version",
                    parent_id=campaign.id,
                )
            else:
                versioning.mark_reviewed(
                    uow,
                    version,
                    actor=actor,
                    at=now,
                    status=version_status,
                    action=action,
                    note=note,
                    entity_type="campaign_version",
                    parent_id=campaign.id,
                )
        if go_live and version is not None:
            campaign.live_version = version.version
            campaign.name = version.spec["name"]
            await _set_trigger(uow.session, campaign.id, CampaignSpec.model_validate(version.spec))
            if campaign.status in ("draft", "pending_approval"):
                status = "active"
        if status is not None:
            if status == "active" and campaign.activated_at is None:
                campaign.activated_at = now
            campaign.status = status
    await uow.commit()


async def _set_trigger(session: AsyncSession, campaign_id: str, spec: CampaignSpec) -> None:
    await session.execute(
        delete(CampaignTriggerRow).where(CampaignTriggerRow.campaign_id == campaign_id)
    )
    kind, key = scene_key(spec.scene)
    session.add(CampaignTriggerRow(campaign_id=campaign_id, kind=kind, key=key))
