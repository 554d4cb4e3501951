"""Which failures the consumer and the relay wait out, and which mean a message cannot be handled."""

from __future__ import annotations

import asyncpg.exceptions as pg
import pytest
from reach_runtime.consumer import is_transient
from sqlalchemy.exc import DBAPIError, IntegrityError


def wrapped(error: Exception) -> DBAPIError:
    """As SQLAlchemy raises a driver error: DBAPIError, the driver's error as `orig`."""
    return DBAPIError("SELECT 1", None, error)


@pytest.mark.parametrize(
    "error",
    [
        pg.CannotConnectNowError("the database system is shutting down"),  # 57P03
        pg.AdminShutdownError("terminating connection due to administrator command"),  # 57P01
        pg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        pg.ConnectionFailureError("could not connect"),  # 08006
    ],
    ids=type,
)
def test_a_database_that_is_away_is_waited_out(error: Exception) -> None:
    assert is_transient(wrapped(error))


def test_a_statement_the_database_refuses_is_not_transient() -> None:
    duplicate = pg.UniqueViolationError("duplicate key value violates unique constraint")
    assert not is_transient(IntegrityError("INSERT", None, duplicate))
    assert not is_transient(wrapped(pg.NumericValueOutOfRangeError("numeric field overflow")))
    assert not is_transient(ValueError("a handler bug"))
