"""`make demo` keeps working: a small synthetic day through the running system, reported."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.kafka, pytest.mark.system]


def test_the_demo_streams_a_day_and_reports_sends_and_conversions(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "DEMO_ONCE": "1",
        "DEMO_CLIENTS": "300",
        "DEMO_DATA_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "reach_sim.demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    report = done.stdout
    assert "trading.trades.v1" in report
    assert "One portrait" in report and "lifecycle_stage" in report
    sends = next(line for line in report.splitlines() if line.startswith("Sends:"))
    assert int(sends.split()[1].replace(",", "")) > 0, report
    assert "Thank you for trading" in report.split("Results")[1]
