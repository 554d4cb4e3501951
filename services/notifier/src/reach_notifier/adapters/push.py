"""App push through an HTTP push service, addressed by the client id as alias; the push
service de-duplicates by the Idempotency-Key header."""

from __future__ import annotations

from reach_notifier.adapters.http import HttpProvider
from reach_notifier.domain.channels import ChannelError, Message


class PushService(HttpProvider):
    accepts_idempotency_key = True

    def __init__(self, *, base_url: str, api_key: str, timeout_s: float) -> None:
        super().__init__(base_url=base_url, timeout_s=timeout_s)
        self._api_key = api_key

    async def send(self, message: Message) -> str:
        status, body = await self.post(
            "/v1/push",
            {"alias": message.address, "title": message.subject or "", "body": message.body},
            headers={
                "Authorization": f"Bearer {self._api_key}",
                "Idempotency-Key": message.idempotency_key,
            },
        )
        if status == 200 and body.get("message_id"):
            return str(body["message_id"])
        raise ChannelError(f"push {status}: {body.get('error', '')}".strip(), retryable=False)
