"""The one error contract checks raise."""


class ContractError(ValueError):
    """A message or name that breaks the contract; .reason says which field and why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnknownEventType(ContractError):
    """An event type this version of the contracts does not know: newer than the reader.

    Consumers count and skip these (forward compatibility) instead of dead-lettering them.
    """


def quoted(name: str, limit: int = 64) -> str:
    """Quote a name taken from a message for a reason, cut short so reasons stay short."""
    return repr(name if len(name) <= limit else name[:limit] + "…")
