"""E-mail over SMTP; the Message-ID is derived from the idempotency key."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from reach_notifier.domain.channels import ChannelError, Message


class SmtpEmail:
    # SMTP servers do not de-duplicate by Message-ID: a send interrupted by a crash is not
    # repeated blindly.
    accepts_idempotency_key = False

    def __init__(self, *, host: str, port: int, sender: str, timeout_s: float = 10) -> None:
        self._host, self._port, self._sender, self._timeout = host, port, sender, timeout_s

    async def send(self, message: Message) -> str:
        mail = EmailMessage()
        message_id = f"<{message.idempotency_key}@reach>"
        mail["Message-ID"] = message_id
        mail["From"] = self._sender
        mail["To"] = message.address
        mail["Subject"] = message.subject or ""
        mail.set_content(message.body)
        try:
            await aiosmtplib.send(mail, hostname=self._host, port=self._port, timeout=self._timeout)
        except aiosmtplib.SMTPRecipientsRefused as error:  # the reason would show the address
            codes = sorted({str(refusal.code) for refusal in error.recipients})
            raise ChannelError(
                f"smtp recipient refused ({', '.join(codes)})", retryable=False
            ) from error
        except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPConnectTimeoutError) as error:
            raise ChannelError(f"smtp unreachable: {error!r}", retryable=True) from error
        except aiosmtplib.SMTPResponseException as error:
            raise ChannelError(
                f"smtp {error.code}: {error.message}", retryable=400 <= error.code < 500
            ) from error
        except (aiosmtplib.SMTPException, OSError) as error:
            raise ChannelError(f"smtp failed: {error!r}", retryable=True, ambiguous=True) from error
        return message_id
