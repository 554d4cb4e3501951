"""Domain errors that every service maps to HTTP the same way, in one place."""

from __future__ import annotations


class DomainError(Exception):
    """A request the domain refuses; the message says why."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class Invalid(DomainError):
    status_code = 422
