"""The analytics dashboard in headless Chromium: the KPIs of the data the service consumed from
Kafka, and its charts drawn by the bundled Chart.js; with no data, a page that says so.

The browser is Debian's `chromium` (infra/browser/chromium.sh installs it when missing), driven
over the Chrome DevTools Protocol on a pipe (`--remote-debugging-pipe`): no driver binary and
no Python package beyond the standard library. The analytics service runs as a process
(`python -m reach_analytics all`), fed through its real consumers.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from reach_contracts import (
    DeliveryReceipted,
    DeliveryReceiptedPayload,
    DeliverySent,
    DeliverySentPayload,
    DeliverySuppressed,
    DeliverySuppressedPayload,
    Event,
    OutreachHeldOut,
    OutreachHeldOutPayload,
    OutreachRequested,
    OutreachRequestedPayload,
    OutreachSuppressed,
    OutreachSuppressedPayload,
)
from reach_runtime.stack import Broker, Stack
from reach_runtime.testing import eventually
from reach_sim import builders as make

# the first test may install Chromium (infra/browser/chromium.sh) on a fresh machine
pytestmark = [pytest.mark.kafka, pytest.mark.system, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[1]
# DASHBOARD_SCREENSHOTS=docs/img copies the screenshots there (how the docs' pictures are made)
SCREENSHOTS = os.environ.get("DASHBOARD_SCREENSHOTS")
PANELS = ("overview", "funnel", "uplift", "daily")


# --- the browser --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium_binary() -> str:
    """Debian's chromium, installed by the project's script the first time it is missing."""
    started = time.monotonic()
    found = subprocess.run(
        [str(ROOT / "infra" / "browser" / "chromium.sh")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.returncode == 0, f"no Chromium: {found.stderr}"
    print(f"chromium ready in {time.monotonic() - started:.1f}s: {found.stdout.strip()}")
    return found.stdout.strip().splitlines()[-1]


def _above_nine(fd: int) -> int:
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return moved


class Chromium:
    """A headless Chromium driven over the DevTools Protocol through two pipes (fd 3 in, fd 4
    out, NUL-separated JSON), one page attached as a flat session."""

    def __init__(self, binary: str, profile: Path, *, width: int = 1280, height: int = 1700):
        to_browser_r, to_browser_w = os.pipe()
        from_browser_r, from_browser_w = os.pipe()
        # the browser's ends move above 9, so that making them fd 3 and 4 never clobbers one
        to_browser_r, from_browser_w = _above_nine(to_browser_r), _above_nine(from_browser_w)
        args = [
            "--headless",
            "--no-sandbox",  # root on the test machines
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            # offline machines: no background calls to Google's hosts
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--remote-debugging-pipe",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            "about:blank",
        ]
        script = (
            f'exec "$0" "$@" 3<&{to_browser_r} 4>&{from_browser_w} '
            f"{to_browser_r}<&- {from_browser_w}>&-"
        )
        self.log = (profile.parent / "chromium.log").open("wb")
        self.process = subprocess.Popen(
            ["bash", "-c", script, binary, *args],
            pass_fds=(to_browser_r, from_browser_w),
            stdout=self.log,
            stderr=self.log,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._out = os.fdopen(to_browser_w, "wb", buffering=0)
        self._in = os.fdopen(from_browser_r, "rb", buffering=0)
        self._messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.events: list[dict[str, Any]] = []
        self._next_id = 0
        threading.Thread(target=self._read, daemon=True).start()
        self.width, self.height = width, height
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        self.page("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=False)  # fmt: skip
        self.page("Runtime.enable")
        self.page("Page.enable")

    def _read(self) -> None:
        buffer = b""
        while chunk := self._in.read(65536):
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for message in messages:
                self._messages.put(json.loads(message))

    def call(self, method: str, *, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one command and wait for its answer; events that arrive meanwhile are kept."""
        self._next_id += 1
        command: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            command["sessionId"] = session
        self._out.write(json.dumps(command).encode() + b"\0")
        deadline = time.monotonic() + 30
        while True:
            message = self._messages.get(timeout=max(0.1, deadline - time.monotonic()))
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def page(self, method: str, **params: Any) -> dict[str, Any]:
        return self.call(method, session=self.session, **params)

    def evaluate(self, expression: str) -> Any:
        result = self.page(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, url: str, *, ready: str, timeout_s: float = 30) -> None:
        """Navigate and wait until the page's `ready` expression is true."""
        self.page("Page.navigate", url=url)
        deadline = time.monotonic() + timeout_s
        while not self.evaluate(ready):
            assert time.monotonic() < deadline, f"{url} never became ready ({ready})"
            time.sleep(0.1)

    def screenshot(self, path: Path) -> Path:
        """The whole page as a PNG."""
        full = self.evaluate("document.body.scrollHeight + 24")
        self.page("Emulation.setDeviceMetricsOverride", width=self.width,
                  height=int(full), deviceScaleFactor=1, mobile=False)  # fmt: skip
        path.write_bytes(base64.b64decode(self.page("Page.captureScreenshot")["data"]))
        return path

    def exceptions(self) -> list[str]:
        return [
            e["params"]["exceptionDetails"].get("text", "")
            + str(e["params"]["exceptionDetails"].get("exception", {}).get("description", ""))
            for e in self.events
            if e.get("method") == "Runtime.exceptionThrown"
        ]

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except Exception:  # the browser may already be gone
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._out.close()
        self.log.close()


@pytest.fixture
def browser(chromium_binary: str, tmp_path: Path):
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    started = time.monotonic()
    chromium = Chromium(chromium_binary, profile)
    print(f"chromium started in {time.monotonic() - started:.1f}s")
    try:
        yield chromium
    finally:
        chromium.close()


# What the page reports back: KPIs, table rows, and for each chart whether Chart.js made it and
# how many of its pixels are painted in the data colours (blues), not just axes and labels.
PAGE_STATE = """(() => {
  const chart = (panel) => {
    const canvas = document.getElementById(panel + '-chart');
    const instance = Chart.getChart(canvas);
    const visible = canvas.offsetParent !== null;
    let painted = 0, blue = 0;
    if (visible && canvas.width && canvas.height) {
      const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3] === 0) continue;
        painted++;
        if (d[i + 2] > d[i] + 60 && d[i + 2] > d[i + 1] + 30) blue++;
      }
    }
    const note = document.getElementById(panel + '-empty');
    return {
      drawn: Boolean(instance) && visible,
      labels: instance ? instance.data.labels.map(String) : [],
      values: instance ? instance.data.datasets.map(ds => ds.data) : [],
      painted, blue,
      empty: note.hidden ? null : note.textContent.trim(),
    };
  };
  return {
    kpis: Object.fromEntries([...document.querySelectorAll('[data-kpi]')]
      .map(e => [e.dataset.kpi, e.querySelector('.value').textContent])),
    rows: (() => {
      const heads = [...document.querySelectorAll('#campaigns thead th')].map(th => th.textContent);
      return [...document.querySelectorAll('#campaigns tbody tr')].map(r =>
        Object.fromEntries([...r.children].map((td, i) => [heads[i], td.textContent])));
    })(),
    campaignsEmpty: document.getElementById('campaigns-empty').hidden ? null
      : document.getElementById('campaigns-empty').textContent.trim(),
    selected: document.getElementById('selected-title').textContent,
    charts: Object.fromEntries(PANELS.map(p => [p, chart(p)])),
    errors: window.reachDashboard.errors,
  };
})()""".replace("PANELS", json.dumps(PANELS))
READY = "document.documentElement?.dataset.state === 'ready'"


# --- the data -----------------------------------------------------------------------------

DAY = timedelta(days=1)


def campaign_events(
    campaign_id: str, name: str, *, start: datetime, treated: int, held: int, sent_converted: int,
    held_converted: int, suppressed: int, stopped: int = 0,
) -> tuple[list[Event], list[Event], list[Event]]:  # fmt: skip
    """Outreach (stopped by a gate, requested over three days, held out), its delivery outcomes
    and receipts, and the trades that convert the first clients of each group within the window."""
    outreach: list[Event] = [
        OutreachSuppressed(
            event_id=f"stop-{campaign_id}-{n}", occurred_at=start, client_id=f"{campaign_id}S{n}",
            payload=OutreachSuppressedPayload(
                idempotency_key=f"{campaign_id}-S{n}", campaign_id=campaign_id, campaign_name=name,
                trigger_event_id=f"trg-S{n}", gate="consent", reason="no sms/service consent",
                goal_event="trade.executed", attribution_window_days=7,
            ),
        )
        for n in range(stopped)
    ]  # fmt: skip
    deliveries: list[Event] = []
    trades: list[Event] = []
    for n in range(treated):
        key, client, at = f"{campaign_id}-T{n}", f"{campaign_id}C{n:03d}", start + (n % 3) * DAY
        outreach.append(
            OutreachRequested(
                event_id=f"req-{key}", occurred_at=at, client_id=client,
                payload=OutreachRequestedPayload(
                    idempotency_key=key, campaign_id=campaign_id, campaign_name=name,
                    channel="sms", purpose="service", body="Hello {client_id}",
                    trigger_event_id=f"trg-{key}", goal_event="trade.executed",
                    attribution_window_days=7,
                ),
            )
        )  # fmt: skip
        if n < suppressed:
            deliveries.append(
                DeliverySuppressed(
                    event_id=f"sup-{key}", occurred_at=at + timedelta(seconds=1), client_id=client,
                    payload=DeliverySuppressedPayload(
                        idempotency_key=key, campaign_id=campaign_id, channel="sms",
                        reason="no sms consent",
                    ),
                )
            )  # fmt: skip
            continue
        deliveries.append(
            DeliverySent(
                event_id=f"sent-{key}", occurred_at=at + timedelta(seconds=1), client_id=client,
                payload=DeliverySentPayload(
                    idempotency_key=key, campaign_id=campaign_id, channel="sms",
                    provider_message_id=f"p-{key}", attempt=1,
                ),
            )
        )  # fmt: skip
        deliveries.append(
            DeliveryReceipted(
                event_id=f"rcp-{key}", occurred_at=at + timedelta(minutes=2), client_id=client,
                payload=DeliveryReceiptedPayload(
                    idempotency_key=key, campaign_id=campaign_id, channel="sms",
                    provider_message_id=f"p-{key}", status="delivered",
                ),
            )
        )  # fmt: skip
        if n - suppressed < sent_converted:
            trades.append(make.trade(client, at + timedelta(hours=5), event_id=f"trade-{key}"))
    for n in range(held):
        key, client, at = f"{campaign_id}-H{n}", f"{campaign_id}H{n:03d}", start + (n % 3) * DAY
        outreach.append(
            OutreachHeldOut(
                event_id=f"held-{key}", occurred_at=at, client_id=client,
                payload=OutreachHeldOutPayload(
                    idempotency_key=key, campaign_id=campaign_id, campaign_name=name,
                    trigger_event_id=f"trg-{key}", goal_event="trade.executed",
                    attribution_window_days=7,
                ),
            )
        )  # fmt: skip
        if n < held_converted:
            trades.append(make.trade(client, at + timedelta(hours=6), event_id=f"trade-{key}"))
    return outreach, deliveries, trades


async def start_analytics(broker: Broker, tmp_path: Path) -> Stack:
    stack = Stack(
        kafka_bootstrap=broker.bootstrap,
        database_urls={"analytics": f"sqlite+aiosqlite:///{tmp_path / 'analytics.db'}"},
        log_dir=tmp_path / "logs",
        env={"KAFKA_TOPIC_PREFIX": broker.prefix, "LOG_LEVEL": "WARNING"},
    )
    stack.start("analytics")
    try:
        await stack.wait_ready()
    except BaseException:
        stack.stop()
        raise
    return stack


# --- the tests ----------------------------------------------------------------------------


async def test_the_dashboard_shows_the_kpis_and_draws_the_charts_of_the_consumed_results(
    broker: Broker, browser: Chromium, tmp_path: Path
) -> None:
    start = (datetime.now(UTC) - 4 * DAY).replace(hour=2, minute=0, second=0, microsecond=0)
    thanks = campaign_events("CMPTHANKS", "首笔交易感谢", start=start, treated=40, held=10,
                             sent_converted=16, held_converted=1, suppressed=2, stopped=3)  # fmt: skip
    care = campaign_events("CMPCARE", "Loss care", start=start, treated=20, held=5,
                           sent_converted=3, held_converted=1, suppressed=0)  # fmt: skip
    await broker.publish("reach.outreach.v1", *thanks[0], *care[0])
    await broker.publish("reach.deliveries.v1", *thanks[1], *care[1])
    await broker.publish("trading.trades.v1", *thanks[2], *care[2])

    stack = await start_analytics(broker, tmp_path)
    try:
        url = stack.url("analytics")
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:

            async def consumed() -> list[dict] | None:
                results = (await http.get("/campaigns")).json()
                done = {r["campaign_id"]: r for r in results}
                whole = (
                    len(done) == 2
                    and done["CMPTHANKS"]["treated"]["converted"] == 16
                    and done["CMPTHANKS"]["holdout"]["converted"] == 1
                    and done["CMPCARE"]["treated"]["converted"] == 3
                    and sum(done["CMPTHANKS"]["receipts"].values()) == 38
                )
                return results if whole else None

            results = await eventually(consumed, timeout_s=60)
            assert results, (
                f"analytics never consumed the events: {(await http.get('/campaigns')).text}"
            )
            # what the page's other panels have to show, from whichever endpoints exist yet
            served = {
                panel: (await http.get(path)).status_code
                for panel, path in {
                    "funnel": "/campaigns/CMPTHANKS/funnel",
                    "uplift": "/campaigns/CMPTHANKS/uplift?by=variant",
                    "daily": "/campaigns/CMPTHANKS/daily",
                }.items()
            }
            page = await http.get("/dashboard")
            assert page.status_code == 200 and "text/html" in page.headers["content-type"]
            library = await http.get("/dashboard/static/vendor/chart-4.6.1.umd.min.js")
            assert library.status_code == 200 and "Chart.js v4.6.1" in library.text[:200]
            assert (await http.get("/dashboard/static/../bootstrap.py")).status_code == 404

        started = time.monotonic()
        browser.open(f"{url}/dashboard", ready=READY)
        state = browser.evaluate(PAGE_STATE)
        shot = browser.screenshot(tmp_path / "dashboard.png")
        print(f"page loaded and checked in {time.monotonic() - started:.1f}s; screenshot {shot}")
        if SCREENSHOTS:
            shutil.copyfile(shot, ROOT / SCREENSHOTS / shot.name)
    finally:
        stack.stop()

    assert state["errors"] == [] and browser.exceptions() == [], state["errors"]
    # KPIs over both campaigns: 60 requested, 2 suppressed by the notifier, 15 held out
    assert state["kpis"]["campaigns"] == "2"
    assert state["kpis"]["requested"] == "60"
    assert state["kpis"]["sent"] == "58"
    assert state["kpis"]["suppressed"] == "2"
    assert state["kpis"]["held_out"] == "15"
    # rates and uplift as the API computes them (who counts as treated is analytics' rule)
    treated = [sum(r["treated"][k] for r in results) for k in ("converted", "clients")]
    holdout = [sum(r["holdout"][k] for r in results) for k in ("converted", "clients")]
    assert state["kpis"]["treated_rate"] == f"{100 * treated[0] / treated[1]:.1f}%"
    assert state["kpis"]["holdout_rate"] == f"{100 * holdout[0] / holdout[1]:.1f}%"
    rows = {row["campaign"]: row for row in state["rows"]}
    assert set(rows) == {"首笔交易感谢", "Loss care"}
    thanks = rows["首笔交易感谢"]
    api = next(r for r in results if r["campaign_id"] == "CMPTHANKS")
    assert [thanks[k] for k in ("requested", "sent", "delivered", "suppressed at send", "held out")] == [
        "40", "38", "38", "2", "10"
    ]  # fmt: skip
    # outreach.suppressed counts where this analytics counts it (issue 8's funnel), else a dash
    assert thanks["stopped by a gate"] == ("3" if "suppressed_by_gate" in api else "–")
    for group in ("treated", "holdout"):
        g = api[group]
        assert (
            thanks[f"{group} converted"]
            == f"{g['converted']}/{g['clients']} = {100 * g['rate']:.1f}%"
        )
    assert thanks["uplift (95% CI)"].startswith(f"+{100 * api['uplift']:.1f} pp")
    if api.get("uplift_ci_low") is not None:
        low, high = api["uplift_ci_low"], api["uplift_ci_high"]
        assert f"[{100 * low:+.1f} pp, {100 * high:+.1f} pp]" in thanks["uplift (95% CI)"]
    # the campaign that reached most clients is the one shown in detail
    assert state["selected"].startswith("首笔交易感谢")

    overview = state["charts"]["overview"]
    assert overview["drawn"] and overview["empty"] is None
    assert sorted(overview["labels"]) == sorted(["首笔交易感谢", "Loss care"])
    uplifts = {r["campaign_name"]: r["uplift"] for r in results}
    assert overview["values"][1] == [uplifts[label] for label in overview["labels"]]
    assert overview["blue"] > 50, overview  # the estimates are painted, not only the axes
    for panel, status in served.items():
        chart = state["charts"][panel]
        if status == 200:
            assert chart["drawn"] and chart["empty"] is None and chart["blue"] > 50, (panel, chart)
        else:  # the endpoint is not there: the panel says so instead of breaking
            assert not chart["drawn"] and "does not serve" in chart["empty"], (panel, chart)
    assert shot.stat().st_size > 20_000


async def test_the_dashboard_says_there_is_no_data_yet_when_nothing_was_consumed(
    broker: Broker, browser: Chromium, tmp_path: Path
) -> None:
    stack = await start_analytics(broker, tmp_path)
    try:
        browser.open(f"{stack.url('analytics')}/dashboard", ready=READY)
        state = browser.evaluate(PAGE_STATE)
    finally:
        stack.stop()
    assert state["errors"] == [] and browser.exceptions() == []
    assert state["kpis"]["campaigns"] == "0" and state["kpis"]["sent"] == "0"
    assert state["rows"] == [] and "No campaign has results yet" in state["campaignsEmpty"]
    for panel in PANELS:
        assert not state["charts"][panel]["drawn"] and state["charts"][panel]["empty"], panel


# The panels against the documented shapes of the results API (issue 8), served by a stand-in
# next to the real dashboard router: the page's side of the contract, whichever endpoints the
# service serves today.
CONTRACT = {
    "/campaigns": [
        {
            "campaign_id": "CMP1", "campaign_name": "首笔交易感谢", "requested": 900,
            "held_out": 100, "sent": 880, "failed": 5, "suppressed": 15, "suppressed_by_gate": 200,
            "receipts": {"delivered": 860, "opened": 400, "clicked": 120},
            "treated": {"clients": 880, "converted": 176, "rate": 0.2},
            "holdout": {"clients": 100, "converted": 6, "rate": 0.06}, "uplift": 0.14,
            "attribution_window_days": 14, "goal_event": "trade.executed",
            "uplift_ci_low": 0.09, "uplift_ci_high": 0.19, "small_sample": False,
            "converted_amount": "2112000.00",
        },
    ],
    "/campaigns/CMP1/funnel": {
        "campaign_id": "CMP1",
        "stages": [{"stage": s, "count": n} for s, n in [
            ("eligible", 1200), ("held_out", 100), ("suppressed", 200), ("requested", 900),
            ("sent", 880), ("delivered", 860), ("opened", 400), ("clicked", 120),
            ("converted", 176)]],
        "stopped": [{"gate": "consent", "reason": "no sms consent", "count": 150},
                    {"gate": "cap_client_day", "reason": "1 marketing touch today", "count": 50}],
        "calls": {"reached": 0, "no_answer": 0, "declined": 0, "callback": 0},
    },
    "/campaigns/CMP1/daily": {
        "campaign_id": "CMP1",
        "days": [{"day": f"2026-11-{d:02d}", "requested": 300, "held_out": 33, "suppressed": 60,
                  "sent": 290, "delivered": 285, "converted": 50 + d} for d in (20, 21, 22)],
    },
}  # fmt: skip


def uplift_rows(by: str) -> dict:
    keys = {"variant": ["A", "B"], "channel": ["inapp", "email"]}.get(by, ["all"])
    return {
        "campaign_id": "CMP1", "by": by, "goal_event": "trade.executed", "window_days": 14,
        "rows": [
            {"key": key, "treated": {"clients": 440, "converted": 80 + 16 * i, "rate": 0.18 + 0.04 * i},
             "holdout": {"clients": 50, "converted": 3, "rate": 0.06},
             "absolute_uplift": 0.12 + 0.04 * i, "relative_uplift": 2.0 + 0.7 * i,
             "ci_low": 0.05 + 0.04 * i, "ci_high": 0.19 + 0.04 * i, "small_sample": i == 1}
            for i, key in enumerate(keys)
        ],
    }  # fmt: skip


def _constant(body: Any) -> Any:
    def answer() -> Any:
        return body

    return answer


@contextlib.contextmanager
def serving(app: Any) -> Iterator[str]:
    """An ASGI app on a real port, in a thread; yields its base URL."""
    import uvicorn
    from reach_runtime.stack import free_port

    server = uvicorn.Server(uvicorn.Config(app, port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the stand-in server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def stand_in() -> Any:
    """An app with the real dashboard router and nothing else."""
    from fastapi import FastAPI
    from reach_analytics.api.dashboard import router

    app = FastAPI()
    app.include_router(router)
    return app


@pytest.fixture
def contract_server() -> Iterator[tuple[str, list[str]]]:
    """The dashboard router and a stand-in of the results API on a real port."""
    app = stand_in()
    asked: list[str] = []
    for path, body in CONTRACT.items():
        app.add_api_route(path, _constant(body), methods=["GET"])
    app.add_api_route(
        "/campaigns/CMP1/uplift",
        lambda by="campaign": asked.append(by) or uplift_rows(by),
        methods=["GET"],
    )
    with serving(app) as url:
        yield url, asked


def test_the_dashboard_says_when_the_results_api_wants_a_sign_in(
    browser: Chromium,
) -> None:
    from fastapi import HTTPException

    app = stand_in()

    def refuse() -> None:
        raise HTTPException(401, "not authenticated")

    app.add_api_route("/campaigns", refuse, methods=["GET"])
    with serving(app) as url:
        browser.open(f"{url}/dashboard", ready=READY)
        status = browser.evaluate("document.getElementById('status').textContent")
    assert "sign in" in status and "401" in status, status
    assert browser.exceptions() == []


def test_the_funnel_uplift_and_daily_panels_draw_the_documented_api_shapes(
    contract_server: tuple[str, list[str]], browser: Chromium, tmp_path: Path
) -> None:
    url, asked = contract_server
    browser.open(f"{url}/dashboard", ready=READY)
    state = browser.evaluate(PAGE_STATE)
    assert state["errors"] == [] and browser.exceptions() == [], state["errors"]
    charts = state["charts"]
    for panel in PANELS:
        assert charts[panel]["drawn"] and charts[panel]["empty"] is None, panel
        assert charts[panel]["blue"] > 50, (panel, charts[panel])
    assert state["kpis"]["converted_amount"] == "2,112,000"
    row = state["rows"][0]
    assert row["uplift (95% CI)"] == "+14.0 pp [+9.0 pp, +19.0 pp]"
    assert row["goal, window"] == "trade.executed, 14 d"
    assert state["kpis"]["stopped"] == "200"
    assert charts["overview"]["values"] == [[[0.09, 0.19]], [0.14]]  # CI bar and estimate
    assert charts["funnel"]["labels"][:4] == ["eligible", "held out", "suppressed", "requested"]
    assert charts["funnel"]["values"] == [[1200, 100, 200, 900, 880, 860, 400, 120, 176]]
    assert charts["daily"]["labels"] == ["2026-11-20", "2026-11-21", "2026-11-22"]
    assert charts["uplift"]["labels"] == ["A", "B (small sample)"]
    assert charts["uplift"]["values"][0] == [[0.05, 0.19], [0.09, 0.23]]
    stopped = browser.evaluate(
        "[...document.querySelectorAll('#stopped tbody tr')].map(r => r.textContent)"
    )
    assert stopped == ["consentno sms consent150", "cap_client_day1 marketing touch today50"]

    # another breakdown is fetched and drawn when the analyst picks it
    browser.evaluate(
        "(() => { const s = document.getElementById('uplift-by'); s.value = 'channel';"
        " s.dispatchEvent(new Event('change')); })()"
    )
    deadline = time.monotonic() + 10
    while browser.evaluate("Chart.getChart(document.getElementById('uplift-chart'))"
                           ".data.labels.join(',')") != "inapp,email (small sample)":  # fmt: skip
        assert time.monotonic() < deadline, "the channel breakdown was never drawn"
        time.sleep(0.1)
    assert asked == ["variant", "channel"]
    shot = browser.screenshot(tmp_path / "dashboard-panels.png")
    if SCREENSHOTS:
        shutil.copyfile(shot, ROOT / SCREENSHOTS / shot.name)
