"""Stand-ins for outside providers that cannot be reached from here, speaking the real protocols."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass(frozen=True)
class ReceivedMail:
    message_id: str
    to: list[str]
    subject: str
    body: str


class _Collect:
    def __init__(self, sink: SmtpSink) -> None:
        self._sink = sink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        mail: EmailMessage = message_from_bytes(envelope.content, policy=policy.default)  # type: ignore[assignment]
        body = mail.get_body(("plain",))
        self._sink.add(
            ReceivedMail(
                message_id=str(mail["Message-ID"]),
                to=list(envelope.rcpt_tos),
                subject=str(mail["Subject"] or ""),
                body=body.get_content().strip() if body else "",
            )
        )
        return "250 Message accepted for delivery"


class SmtpSink:
    """A real SMTP server on 127.0.0.1 that keeps every message it accepts."""

    def __init__(self, port: int = 0) -> None:
        self._lock = threading.Lock()
        self._mail: list[ReceivedMail] = []
        self._controller = Controller(
            _Collect(self), hostname="127.0.0.1", port=port or _free_port()
        )

    @property
    def port(self) -> int:
        return self._controller.port

    def add(self, mail: ReceivedMail) -> None:
        with self._lock:
            self._mail.append(mail)

    @property
    def received(self) -> list[ReceivedMail]:
        with self._lock:
            return list(self._mail)

    def __enter__(self) -> SmtpSink:
        self._controller.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._controller.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
