"""The profile service's composition root."""

from __future__ import annotations

from pathlib import Path

from reach_runtime.service import ServiceDefinition

from reach_profile.adapters.portraits import preload
from reach_profile.api.routes import router
from reach_profile.db.tables import metadata
from reach_profile.handlers.events import SUBSCRIPTIONS
from reach_profile.settings import ProfileSettings


def bootstrap(settings: ProfileSettings | None = None) -> ServiceDefinition:
    return ServiceDefinition(
        name="profile",
        description="Builds the live portrait of every client from upstream events.",
        settings=settings or ProfileSettings(),
        metadata=metadata,
        migrations=Path(__file__).parent / "db" / "versions",
        subscriptions=SUBSCRIPTIONS,
        routers=[router],
        preload=preload,
    )
