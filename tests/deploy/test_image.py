"""The one image: built in stages, run as the user the chart expects, with a health check.

No Docker engine runs here, so these read the Dockerfile; the chart tests check the pods.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.deploy


@pytest.fixture(scope="module")
def dockerfile(root: Path) -> str:
    # one instruction a line: join the continuation lines
    return (root / "Dockerfile").read_text().replace("\\\n", " ")


def instructions(dockerfile: str, name: str) -> list[str]:
    return re.findall(rf"^{name}\s+(.+)$", dockerfile, flags=re.MULTILINE)


def test_the_image_is_built_in_stages_and_ships_only_the_virtualenv(dockerfile: str) -> None:
    stages = instructions(dockerfile, "FROM")
    assert len(stages) >= 2
    assert "AS build" in stages[0]
    final = re.split(r"^FROM .+$", dockerfile, flags=re.MULTILINE)[-1]
    assert "COPY --from=build /app/.venv /app/.venv" in final
    assert not re.search(r"^COPY \. ", final, flags=re.MULTILINE), "sources in the final stage"


def test_the_image_runs_as_the_non_root_user_the_chart_expects(dockerfile: str, root: Path) -> None:
    [user] = instructions(dockerfile, "USER")
    values = yaml.safe_load((root / "deploy/helm/reach/values.yaml").read_text())
    assert user.strip().isdigit(), "a numeric user, so runAsNonRoot can verify it"
    assert int(user) != 0
    assert int(user) == values["podSecurityContext"]["runAsUser"]


def test_the_image_checks_health_on_healthz_at_its_http_port(dockerfile: str) -> None:
    [check] = instructions(dockerfile, "HEALTHCHECK")
    assert "/healthz" in check and "HTTP_PORT" in check
    assert re.search(r"HTTP_PORT=\d+", dockerfile), "HTTP_PORT needs a default for the check"


def test_the_build_context_leaves_out_history_and_local_environments(root: Path) -> None:
    ignored = (root / ".dockerignore").read_text().split()
    assert "*" in ignored  # an allow-list
    assert {"!pyproject.toml", "!uv.lock", "!contracts/", "!libs/", "!services/"} <= set(ignored)
    assert "**/.venv" in ignored
