"""The Helm chart lints, renders valid Kubernetes objects, and runs every pod hardened."""

from __future__ import annotations

import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
from reach_notifier.settings import NotifierSettings
from reach_runtime.service import ROLES
from reach_runtime.settings import ServiceSettings

# Building helm the first time takes minutes on a busy machine.
pytestmark = [pytest.mark.deploy, pytest.mark.timeout(1200)]

OPERATOR_KINDS = {"PodMonitor", "PrometheusRule"}  # Prometheus Operator CRDs: no schema here
PROVIDER_CREDENTIALS = {"SMS_API_KEY", "PUSH_API_KEY", "WECHAT_ACCESS_TOKEN", "CALLBACK_SECRET"}


def of_kind(manifests: list[dict], kind: str) -> list[dict]:
    return [m for m in manifests if m["kind"] == kind]


def env_of(container: dict) -> dict[str, dict]:
    return {e["name"]: e for e in container["env"]}


def test_the_chart_has_ci_values_files(chart: Path) -> None:
    assert {p.name for p in chart.glob("ci/*-values.yaml")} >= {
        "default-values.yaml",
        "production-values.yaml",
        "all-in-one-values.yaml",
    }


def test_the_chart_lints_with_each_ci_values_file(run_helm, chart: Path, ci_values: Path) -> None:
    done = run_helm("lint", "--strict", chart, "--values", ci_values)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_rendered_manifest_is_a_valid_kubernetes_object(
    render, ci_values: Path, kube_version: str
) -> None:
    manifests = render(ci_values, kube_version=kube_version)
    assert of_kind(manifests, "Deployment")
    invalid = []
    for manifest in manifests:
        if manifest["kind"] in OPERATOR_KINDS:
            continue
        try:
            kubernetes_validate.validate(manifest, kube_version, strict=True)
        except kubernetes_validate.ValidationError as error:
            invalid.append(f"{manifest['kind']}/{manifest['metadata']['name']}: {error}")
    assert not invalid, "\n".join(invalid)
    assert {m["kind"] for m in manifests} - OPERATOR_KINDS <= {
        "Deployment",
        "Service",
        "Job",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "ServiceAccount",
    }


def test_every_deployment_runs_hardened_with_probes_and_resources(
    render, ci_values: Path, services: tuple[str, ...]
) -> None:
    deployments = of_kind(render(ci_values), "Deployment")
    assert {d["metadata"]["labels"]["app.kubernetes.io/component"] for d in deployments} == set(
        services
    )
    for deployment in deployments:
        name = deployment["metadata"]["name"]
        pod = deployment["spec"]["template"]["spec"]
        assert pod["automountServiceAccountToken"] is False, name
        assert pod["serviceAccountName"], name
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        [container] = pod["containers"]
        security = container["securityContext"]
        assert security["runAsNonRoot"] is True, name
        assert security["allowPrivilegeEscalation"] is False, name
        assert security["readOnlyRootFilesystem"] is True, name
        assert security["capabilities"]["drop"] == ["ALL"], name
        assert "add" not in security["capabilities"], name
        assert security.get("privileged", False) is False, name
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert "emptyDir" in volumes[mounts["/tmp"]], f"{name}: /tmp is not an emptyDir"
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert [p["name"] for p in container["ports"]] == ["http"], name
        assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
        assert "memory" in container["resources"]["limits"], name


def test_each_deployment_runs_its_service_in_a_role_the_service_accepts(
    render, ci_values: Path
) -> None:
    for deployment in of_kind(render(ci_values), "Deployment"):
        labels = deployment["metadata"]["labels"]
        service, role = labels["app.kubernetes.io/component"], labels["reach.io/role"]
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        assert container["args"] == [f"reach_{service}", role]
        assert role in (*ROLES, "all")
        port = env_of(container)["HTTP_PORT"]["value"]
        assert int(port) == container["ports"][0]["containerPort"]


def test_database_and_provider_credentials_come_from_secrets_only(render, ci_values: Path) -> None:
    workloads = of_kind(render(ci_values), "Deployment") + of_kind(render(ci_values), "Job")
    for workload in workloads:
        service = workload["metadata"]["labels"]["app.kubernetes.io/component"]
        [container] = workload["spec"]["template"]["spec"]["containers"]
        env = env_of(container)
        assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {
            "name": "reach-database",
            "key": service,
        }
        if service == "notifier":
            for name in PROVIDER_CREDENTIALS:
                assert env[name]["valueFrom"]["secretKeyRef"] == {
                    "name": "reach-providers",
                    "key": name,
                }
        assert env["AUTH_JWT_KEY"]["valueFrom"]["secretKeyRef"] == {
            "name": "reach-auth",
            "key": "AUTH_JWT_KEY",
        }
        assert env["AUTH_API_KEYS"]["valueFrom"]["secretKeyRef"]["optional"] is True
        assert env["AUTH_JWT_ISSUER"]["value"].startswith("https://")
        secret_names = {"DATABASE_URL", "AUTH_JWT_KEY", "AUTH_API_KEYS", *PROVIDER_CREDENTIALS}
        assert not [n for n in secret_names & set(env) if "value" in env[n]], "a literal secret"


def test_a_release_without_the_token_issuer_to_trust_is_refused(
    run_helm, chart: Path, values_file
) -> None:
    done = run_helm("template", "reach", chart, "--values", values_file({"auth": {"issuer": ""}}))
    assert done.returncode != 0
    assert "auth.issuer" in done.stderr


def test_the_auth_settings_the_chart_sets_are_settings_every_service_reads(
    render, ci_values: Path
) -> None:
    fields = {name.upper() for name in ServiceSettings.model_fields}
    for workload in of_kind(render(ci_values), "Deployment"):
        [container] = workload["spec"]["template"]["spec"]["containers"]
        assert {n for n in env_of(container) if n.startswith("AUTH_")} <= fields


def test_the_provider_credentials_are_settings_the_notifier_reads() -> None:
    fields = {name.upper() for name in NotifierSettings.model_fields}
    assert fields >= PROVIDER_CREDENTIALS


def test_each_service_migrates_in_a_hook_job_before_install_and_upgrade(
    render, ci_values: Path, services: tuple[str, ...]
) -> None:
    jobs = of_kind(render(ci_values), "Job")
    assert sorted(j["metadata"]["labels"]["app.kubernetes.io/component"] for j in jobs) == sorted(
        services
    )
    for job in jobs:
        service = job["metadata"]["labels"]["app.kubernetes.io/component"]
        annotations = job["metadata"]["annotations"]
        assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
        pod = job["spec"]["template"]["spec"]
        assert pod["restartPolicy"] == "Never"
        [container] = pod["containers"]
        assert container["args"] == [f"reach_{service}", "migrate"]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_production_values_autoscale_within_the_partitions_and_guard_every_deployment(
    render, chart: Path
) -> None:
    manifests = render(chart / "ci" / "production-values.yaml")
    deployments = {d["metadata"]["name"]: d for d in of_kind(manifests, "Deployment")}
    autoscalers = of_kind(manifests, "HorizontalPodAutoscaler")
    assert autoscalers
    for hpa in autoscalers:
        target = deployments[hpa["spec"]["scaleTargetRef"]["name"]]
        assert "replicas" not in target["spec"], "the HPA, not the Deployment, sets replicas"
        if target["metadata"]["labels"]["reach.io/role"] == "consume":
            assert hpa["spec"]["maxReplicas"] <= 12  # kafka.partitions of production-values
    budgets = of_kind(manifests, "PodDisruptionBudget")
    for name, deployment in deployments.items():
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        guarding = [
            b for b in budgets if b["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
        ]
        assert len(guarding) == 1, f"{name} has {len(guarding)} PodDisruptionBudgets"


def test_the_network_policy_admits_only_the_services_ports(render, chart: Path) -> None:
    manifests = render(chart / "ci" / "default-values.yaml")
    [policy] = of_kind(manifests, "NetworkPolicy")
    selector = policy["spec"]["podSelector"]["matchLabels"]
    for deployment in of_kind(manifests, "Deployment"):
        assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    [rule] = policy["spec"]["ingress"]
    assert sorted(p["port"] for p in rule["ports"]) == [8101, 8102, 8103, 8104, 8105]
    assert rule["from"] == [{"podSelector": {}}]


@pytest.mark.parametrize(
    ("override", "complaint"),
    [
        ({"securityContext": {"readOnlyRootFilesystem": False}}, "readOnlyRootFilesystem"),
        ({"securityContext": {"allowPrivilegeEscalation": True}}, "allowPrivilegeEscalation"),
        ({"podSecurityContext": {"runAsNonRoot": False}}, "runAsNonRoot"),
        ({"services": {"campaign": {"roles": {"worker": {"replicas": 1}}}}}, "worker"),
        ({"services": {"profile": {"roles": {"api": {"replicas": "two"}}}}}, "replicas"),
        ({"database": {"secretName": ""}}, "secretName"),
        ({"kafka": {"partitions": 0}}, "partitions"),
        ({"imagePullPolicy": "Always"}, "imagePullPolicy"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_values_that_break_the_schema_are_refused(
    run_helm, chart: Path, values_file, override: dict, complaint: str
) -> None:
    done = run_helm("template", "reach", chart, "--values", values_file(override))
    assert done.returncode != 0, f"helm accepted {override}"
    assert complaint in done.stderr


@pytest.mark.parametrize(
    "role",
    [
        {"replicas": 5},
        {"autoscaling": {"enabled": True, "minReplicas": 2, "maxReplicas": 8}},
    ],
    ids=["replicas", "autoscaling"],
)
def test_a_consumer_group_larger_than_the_partitions_is_refused(
    run_helm, chart: Path, values_file, role: dict
) -> None:
    override = {"kafka": {"partitions": 4}, "services": {"segmenter": {"roles": {"consume": role}}}}
    done = run_helm("template", "reach", chart, "--values", values_file(override))
    assert done.returncode != 0
    assert "kafka.partitions (4)" in done.stderr


def test_a_consumer_group_as_large_as_the_partitions_is_accepted(render, values_file) -> None:
    override = {
        "kafka": {"partitions": 4},
        "services": {"segmenter": {"roles": {"consume": {"replicas": 4}}}},
    }
    [consume] = [
        d
        for d in of_kind(render(values_file(override)), "Deployment")
        if d["metadata"]["name"] == "reach-segmenter-consume"
    ]
    assert consume["spec"]["replicas"] == 4


def test_helm_sh_prints_the_cached_binary_without_building_again(root: Path, helm: str) -> None:
    done = subprocess.run(
        [str(root / "infra" / "helm" / "helm.sh")], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == helm
    assert "building" not in done.stderr
    version = subprocess.run([helm, "version", "--short"], capture_output=True, text=True)
    assert version.stdout.startswith("v3.22.0")
