"""Fixtures of the deploy checks: the repository's paths, helm (built once), rendered charts."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "reach"
CI_VALUES = sorted(CHART.glob("ci/*-values.yaml"))
SERVICES = ("profile", "segmenter", "campaign", "notifier", "analytics")
# Kubernetes versions the manifests are validated against: the chart's kubeVersion floor
# and the newest that kubernetes-validate knows.
KUBE_VERSIONS = ("1.25.0", "1.37.0")

Render = Callable[..., list[dict]]


@pytest.fixture(scope="session")
def helm() -> str:
    """The helm binary of infra/helm/helm.sh (built from the Go module proxy on first use)."""
    done = subprocess.run(
        [str(ROOT / "infra" / "helm" / "helm.sh")], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"infra/helm/helm.sh failed:\n{done.stderr}"
    return done.stdout.strip()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test asking for `ci_values` runs once per ci/*-values.yaml; `kube_version` once per version."""
    if "ci_values" in metafunc.fixturenames:
        metafunc.parametrize("ci_values", CI_VALUES, ids=[p.name for p in CI_VALUES])
    if "kube_version" in metafunc.fixturenames:
        metafunc.parametrize("kube_version", KUBE_VERSIONS)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def chart() -> Path:
    return CHART


@pytest.fixture(scope="session")
def services() -> tuple[str, ...]:
    return SERVICES


@pytest.fixture(scope="session")
def run_helm(helm: str) -> Callable[..., subprocess.CompletedProcess[str]]:
    """run_helm(args...) -> the finished helm process (stdout, stderr, returncode)."""

    def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [helm, *map(str, args)], capture_output=True, text=True, check=False, cwd=ROOT
        )

    return _run


@pytest.fixture(scope="session")
def render(run_helm: Callable[..., subprocess.CompletedProcess[str]]) -> Render:
    """render(values files..., sets=(...), kube_version=...) -> the manifests `helm template` prints."""
    cache: dict[tuple, list[dict]] = {}

    def _render(
        *values: Path, sets: tuple[str, ...] = (), kube_version: str = KUBE_VERSIONS[-1]
    ) -> list[dict]:
        """Raises AssertionError with helm's message when helm refuses the values."""
        key = (values, sets, kube_version)
        if key not in cache:
            args: list[str | Path] = ["template", "reach", CHART, "--kube-version", kube_version]
            for file in values:
                args += ["--values", file]
            if not values:  # the chart's defaults, with the one value that has none
                args += ["--set", f"auth.issuer={ISSUER}"]
            for assignment in sets:
                args += ["--set", assignment]
            done = run_helm(*args)
            assert done.returncode == 0, f"helm template failed:\n{done.stderr}"
            cache[key] = [d for d in yaml.safe_load_all(done.stdout) if d]
        return cache[key]

    return _render


ISSUER = "https://sso.broker.example/realms/staff"


@pytest.fixture
def values_file(tmp_path: Path) -> Callable[[dict], Path]:
    """Writes a values override to a file of its own."""
    count = 0

    def _write(values: dict) -> Path:
        nonlocal count
        count += 1
        path = tmp_path / f"override-{count}.yaml"
        auth = {"issuer": ISSUER, **values.get("auth", {})}  # the one value with no default
        path.write_text(yaml.safe_dump({**values, "auth": auth}))
        return path

    return _write
