"""Stand-ins for outside providers that cannot be reached from here, speaking the real protocols."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
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
        if self._sink.refusing:  # an injected outage: the message is answered, not kept
            self._sink.refused += 1
            return self._sink.refusing
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
    """A real SMTP server on 127.0.0.1 that keeps every message it accepts.

    Set `refusing` to an SMTP reply (say "451 4.3.0 try again later") to answer every message
    with it instead, as a mail server in trouble does; `refused` counts those answers."""

    def __init__(self, port: int = 0) -> None:
        self._lock = threading.Lock()
        self._mail: list[ReceivedMail] = []
        self.refusing: str | None = None
        self.refused = 0
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


@dataclass(frozen=True)
class ProviderRequest:
    """One HTTP request a fake provider received, whatever it answered."""

    path: str
    key: str | None  # the idempotency key it carried, when the protocol has one
    address: str
    body: dict[str, Any]
    headers: dict[str, str]
    at: float = 0.0  # time.time() when it arrived


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # many notifier connections open at once


class _HttpProvider:
    """A real HTTP server on 127.0.0.1, in a thread, standing in for an outside provider.

    It records every request, accepts each idempotency key once (a repeat gets the first
    answer again), can be told to fail or to be slow, and calls receipts back, signed, to
    `receipt_url` when that is set."""

    channel = ""
    path = ""

    def __init__(
        self, *, port: int = 0, receipt_url: str | None = None, secret: str = "local-only-secret"
    ) -> None:
        self._lock = threading.Lock()
        self.requests: list[ProviderRequest] = []
        self.accepted: dict[str, str] = {}  # key (or a serial number) -> provider message id
        self.delay_s = 0.0
        self.down = False  # every request answered 503
        self._failures: list[tuple[int, dict[str, Any]]] = []
        self.receipt_url, self.secret = receipt_url, secret
        self._server = _Server(("127.0.0.1", port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._serial = 0

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail_next(self, times: int = 1, *, status: int = 503, body: dict[str, Any] | None = None):
        """Answer the next `times` requests with this status and body instead of accepting."""
        with self._lock:
            self._failures += [(status, body or {"message": "injected failure"})] * times

    def requests_for(self, key: str) -> list[ProviderRequest]:
        with self._lock:
            return [r for r in self.requests if r.key == key]

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # what each protocol says ------------------------------------------------------------
    def parse(
        self, handler: BaseHTTPRequestHandler, body: dict[str, Any]
    ) -> tuple[str | None, str]:
        """The idempotency key (or None) and the address of a request."""
        raise NotImplementedError

    def refusal(
        self, handler: BaseHTTPRequestHandler, body: dict[str, Any]
    ) -> tuple[int, dict] | None:
        """A protocol-level refusal (bad credentials, bad address), or None."""
        return None

    def answer(self, message_id: str) -> dict[str, Any]:
        raise NotImplementedError

    def new_message_id(self) -> str:
        self._serial += 1
        return f"{self.channel.upper()}-{self._serial:08d}"

    # ------------------------------------------------------------------------------------
    def _receive(self, handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, Any]]:
        length = int(handler.headers.get("Content-Length") or 0)
        try:
            body = json.loads(handler.rfile.read(length) or b"{}")
        except ValueError:
            return 400, {"message": "body is not JSON"}
        if handler.path.split("?")[0] != self.path:
            return 404, {"message": "no such API"}
        key, address = self.parse(handler, body)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        with self._lock:
            self.requests.append(
                ProviderRequest(handler.path, key, address, body, headers, time.time())
            )
            if self.down:
                return 503, {"message": "provider down"}
            if self._failures:
                return self._failures.pop(0)
            refused = self.refusal(handler, body)
            if refused is not None:
                return refused
            repeat = key is not None and key in self.accepted
            if not repeat:
                message_id = self.new_message_id()
                self.accepted[key if key is not None else message_id] = message_id
            else:
                message_id = self.accepted[key]
        if not repeat and self.receipt_url:
            threading.Thread(target=self._call_back, args=(message_id,), daemon=True).start()
        if self.delay_s:
            time.sleep(self.delay_s)
        return 200, self.answer(message_id)

    def _call_back(self, message_id: str, status: str = "delivered", tries: int = 20) -> None:
        """Like real gateways, retry a receipt the notifier did not take (yet): it may not
        have recorded the message id, or may be restarting."""
        for attempt in range(tries):
            time.sleep(min(0.2 * 2**attempt, 3))
            if 200 <= self.send_receipt(message_id, status) < 300:
                return

    def send_receipt(self, message_id: str, status: str) -> int:
        """Call a receipt back now (opened, clicked, failed…); returns the HTTP status."""
        return self.post_signed(
            f"{self.receipt_url}/callbacks/{self.channel}/receipts",
            {"message_id": message_id, "status": status},
        )

    def post_signed(self, url: str, payload: dict[str, Any]) -> int:
        body = json.dumps(payload).encode()
        signature = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        try:
            response = httpx.post(
                url,
                content=body,
                headers={"Content-Type": "application/json", "X-Reach-Signature": signature},
                timeout=10,
            )
        except httpx.HTTPError:
            return 0
        return response.status_code

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out at once with keep-alive

            def do_POST(self) -> None:
                status, answer = provider._receive(self)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(OSError):
                    self.wfile.write(data)

            def log_message(self, *_args: object) -> None:
                pass

        return Handler


class SmsGateway(_HttpProvider):
    """An SMS gateway in the shape of the Chinese cloud SMS APIs: POST /sms/send with
    phone_numbers, sign_name, content and out_id (the idempotency key); answers
    {"code": "OK", "biz_id": …} or a code such as isv.MOBILE_NUMBER_ILLEGAL."""

    channel, path = "sms", "/sms/send"
    api_key = "local-only-secret"

    def parse(self, handler, body):
        return body.get("out_id"), str(body.get("phone_numbers", ""))

    def refusal(self, handler, body):
        if handler.headers.get("Authorization") != f"Bearer {self.api_key}":
            return 200, {"code": "isv.ACCOUNT_ABNORMAL", "message": "bad api key"}
        if not str(body.get("phone_numbers", "")).lstrip("+").isdigit():
            return 200, {"code": "isv.MOBILE_NUMBER_ILLEGAL", "message": "bad phone number"}
        return None

    def answer(self, message_id):
        return {"code": "OK", "message": "OK", "biz_id": message_id}

    def reply(self, phone: str, text: str, *, in_reply_to: str | None = None) -> int:
        """A client's reply arriving at the gateway, forwarded to the notifier."""
        self._serial += 1
        return self.post_signed(
            f"{self.receipt_url}/callbacks/sms/replies",
            {
                "reply_id": f"MO-{self._serial:08d}",
                "phone": phone,
                "text": text,
                "in_reply_to": in_reply_to,
            },
        )

    def delivered_texts(self, phone: str) -> list[str]:
        """What the handset of `phone` shows: each accepted message once."""
        with self._lock:
            firsts: dict[str, str] = {}
            for r in self.requests:
                if r.address == phone and r.key in self.accepted:
                    firsts.setdefault(r.key, r.body["content"])
            return list(firsts.values())


class PushService(_HttpProvider):
    """An app push service: POST /v1/push {alias, title, body} with an Idempotency-Key header;
    answers {"message_id": …}."""

    channel, path = "push", "/v1/push"

    def parse(self, handler, body):
        return handler.headers.get("Idempotency-Key"), str(body.get("alias", ""))

    def answer(self, message_id):
        return {"message_id": message_id}


class WechatTemplateApi(_HttpProvider):
    """WeChat's template-message API: POST /cgi-bin/message/template/send?access_token=…
    {touser, template_id, data}; answers {"errcode": 0, "errmsg": "ok", "msgid": …}. It takes
    no idempotency key, so it cannot de-duplicate."""

    channel, path = "wechat", "/cgi-bin/message/template/send"
    access_token = "local-only-secret"

    def parse(self, handler, body):
        return None, str(body.get("touser", ""))

    def refusal(self, handler, body):
        if f"access_token={self.access_token}" not in handler.path:
            return 200, {"errcode": 40001, "errmsg": "invalid credential"}
        return None

    def new_message_id(self):
        self._serial += 1
        return str(2_000_000 + self._serial)

    def answer(self, message_id):
        return {"errcode": 0, "errmsg": "ok", "msgid": int(message_id)}
