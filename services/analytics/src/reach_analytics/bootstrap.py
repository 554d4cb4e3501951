"""Analytics' composition root."""

from __future__ import annotations

from pathlib import Path

from reach_runtime.service import ServiceDefinition

from reach_analytics.api.dashboard import router as dashboard_router
from reach_analytics.api.routes import router
from reach_analytics.db.tables import metadata
from reach_analytics.handlers.events import Defaults, preload, subscriptions
from reach_analytics.settings import AnalyticsSettings


def bootstrap(settings: AnalyticsSettings | None = None) -> ServiceDefinition:
    settings = settings or AnalyticsSettings()
    defaults = Defaults(settings.default_goal_event, settings.attribution_window_days)
    return ServiceDefinition(
        name="analytics",
        description="Funnels, conversions and uplift against the holdout group.",
        settings=settings,
        metadata=metadata,
        migrations=Path(__file__).parent / "db" / "versions",
        subscriptions=subscriptions(defaults),
        preload=preload,
        routers=[router, dashboard_router],
    )
