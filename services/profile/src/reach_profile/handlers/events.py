"""Upstream events folded into portraits; a changed portrait is emitted on reach.portraits.v1."""

from __future__ import annotations

from collections.abc import Callable

from reach_contracts import Event
from reach_runtime.consumer import Handler
from reach_runtime.uow import UnitOfWork

from reach_profile.adapters.portraits import PortraitRepository, portrait_event
from reach_profile.domain import portrait as fold
from reach_profile.domain.portrait import Portrait

PORTRAITS_TOPIC = "reach.portraits.v1"


async def apply(uow: UnitOfWork, event: Event, change: Callable[[Portrait], Portrait]) -> None:
    """Fold one event into the client's portrait; emit the new version if it changed."""
    repository = PortraitRepository.of(uow)
    before = await repository.get(event.client_id) or Portrait(client_id=event.client_id)
    after = fold.next_version(before, change(before), at=event.occurred_at)
    if after is before:
        return
    await repository.save(after, now=uow.clock.now())
    uow.emit(PORTRAITS_TOPIC, portrait_event(after))


def _folding(change: Callable[[Portrait, Event], Portrait]) -> Handler:
    async def handle(event: Event, uow: UnitOfWork) -> None:
        await apply(uow, event, lambda p: change(p, event))

    return handle


SUBSCRIPTIONS = {
    "trading.trades.v1": {
        "trade.executed": _folding(
            lambda p, e: fold.trade_executed(p, at=e.occurred_at, amount=e.payload.amount)
        ),
    },
    "trading.logins.v1": {
        "login.succeeded": _folding(lambda p, e: fold.logged_in(p, at=e.occurred_at)),
    },
    "trading.fund-transfers.v1": {
        "funds.transferred": _folding(
            lambda p, e: fold.funds_transferred(
                p, direction=e.payload.direction, amount=e.payload.amount
            )
        ),
    },
    "trading.positions.v1": {
        "positions.snapshot": _folding(
            lambda p, e: fold.positions_reported(
                p, at=e.occurred_at, total_assets=e.payload.total_assets, cash=e.payload.cash
            )
        ),
    },
    "accounts.events.v1": {
        "account.opened": _folding(
            lambda p, e: fold.account_opened(
                p, opened_on=e.payload.opened_on, advisor_id=e.payload.advisor_id
            )
        ),
        "account.risk_assessed": _folding(
            lambda p, e: fold.risk_assessed(p, risk_level=str(e.payload.risk_level))
        ),
        "account.closed": _folding(lambda p, e: fold.account_closed(p)),
    },
}
