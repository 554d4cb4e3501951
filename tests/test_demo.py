"""`make demo` keeps working: the ready-made library live on a small synthetic month through the
running system, and a report that tells what was sent, held back, converted and planted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from reach_campaign.library import library as library_campaigns
from reach_segmenter.library import library as library_segments

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
    # the ready-made library, put live through the maker-checker
    campaigns = library_campaigns()
    loaded = f"Loaded the ready-made library: {len(library_segments())} segments, {len(campaigns)} campaigns"
    assert loaded in report, report[:3000]
    approved = sum(1 for c in campaigns if c.purpose != "service")
    assert f"{approved} marketing and care approved by demo-approver" in report
    assert f"{len(campaigns) - approved} service notices activated by demo-operator" in report
    decided = "\n".join(section(report, "What Reach decided"))
    assert "首笔交易感谢" in decided and "entered segment first-trade" in decided
    # what was sent to whom, and why: client, campaign, channel and the trigger in words
    examples = [line for line in section(report, "What was sent") if "←" in line]
    assert examples and all(" by " in line and "because" in line for line in examples), examples
    # what was held back, and why: the gates that stopped outreach, with an example reason
    held = section(report, "What was held back")
    assert any("e.g. C" in line for line in held), held
    assert any(line.split()[0] == "holdout" for line in held)
    sends = next(line for line in report.splitlines() if line.startswith("Sends:"))
    assert int(sends.split()[1].replace(",", "")) > 0, report
    # conversions and uplift with the CI, next to the uplift the simulator planted
    results = [line for line in section(report, "Results")[2:] if line.strip()]
    assert results, report
    assert all("planted" in line or "%" in line for line in results)
    assert any("[" in line and "verdict" not in line for line in results), results
    assert "Dashboard: http://127.0.0.1:" in report and report.rstrip().endswith("/dashboard")


def section(report: str, title: str) -> list[str]:
    """The lines of the report's section that starts with `title`, up to the next blank line."""
    lines = report.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start:end]
