"""WeChat service-account template messages (service notices only; the rules refuse
marketing before this is called). The API takes no idempotency key."""

from __future__ import annotations

from reach_notifier.adapters.http import HttpProvider
from reach_notifier.domain.channels import ChannelError, Message

# -1 system busy, 45009 daily quota reached: later may work; anything else is final
TRANSIENT_ERRCODES = frozenset({-1, 45009})


class WechatTemplateMessages(HttpProvider):
    accepts_idempotency_key = False

    def __init__(
        self, *, base_url: str, access_token: str, template_id: str, timeout_s: float
    ) -> None:
        super().__init__(base_url=base_url, timeout_s=timeout_s)
        self._token, self._template_id = access_token, template_id

    async def send(self, message: Message) -> str:
        _, body = await self.post(
            f"/cgi-bin/message/template/send?access_token={self._token}",
            {
                "touser": message.address,
                "template_id": self._template_id,
                "data": {
                    "thing1": {"value": message.subject or ""},
                    "thing2": {"value": message.body},
                },
            },
        )
        errcode = body.get("errcode", -1)
        if errcode == 0 and body.get("msgid") is not None:
            return str(body["msgid"])
        raise ChannelError(
            f"wechat {errcode}: {body.get('errmsg', '')}", retryable=errcode in TRANSIENT_ERRCODES
        )
