"""SMS through an HTTP gateway shaped like the Chinese cloud SMS APIs: sign name, content,
and an out_id the gateway de-duplicates by."""

from __future__ import annotations

from reach_notifier.adapters.http import HttpProvider
from reach_notifier.domain.channels import ChannelError, Message

# gateway codes worth trying again later (flow control, busy); anything else is final
TRANSIENT_CODES = frozenset({"isv.BUSINESS_LIMIT_CONTROL", "SYSTEM_BUSY"})


class SmsGateway(HttpProvider):
    accepts_idempotency_key = True

    def __init__(self, *, base_url: str, api_key: str, sign_name: str, timeout_s: float) -> None:
        super().__init__(base_url=base_url, timeout_s=timeout_s)
        self._api_key, self._sign_name = api_key, sign_name.strip("【】")

    async def send(self, message: Message) -> str:
        status, body = await self.post(
            "/sms/send",
            {
                "phone_numbers": message.address,
                "sign_name": self._sign_name,
                "content": message.body,
                "out_id": message.idempotency_key,
            },
            headers={"Authorization": f"Bearer {self._api_key}"},
        )
        code = str(body.get("code", status))
        if status == 200 and code == "OK" and body.get("biz_id"):
            return str(body["biz_id"])
        reason = f"sms gateway {code}: {body.get('message', '')}".strip()
        raise ChannelError(reason, retryable=code in TRANSIENT_CODES)
