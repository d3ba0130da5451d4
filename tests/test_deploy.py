"""deploy/: what can be checked without a container engine. The compose file and the
OpenTelemetry Collector configs parse, every file they mount exists, the collector's pipelines
use only components they define (as the collector checks at start), the load balancer routes
by trace id to the runlens collector service, and the ClickHouse configs are well-formed XML
that declare the cluster and macros cluster.sql uses."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

DEPLOY = Path(__file__).parents[1] / "deploy"
COLLECTOR_CONFIGS = sorted((DEPLOY / "otel-collector").glob("*.yaml"))


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = load(DEPLOY / "compose.yaml")
    return loaded


def test_compose_runs_the_documented_topology(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {
        "keeper",
        "clickhouse",
        "runlens-collector",
        "runlens-api",
        "otel-collector",
    }
    assert services["runlens-collector"]["deploy"]["replicas"] == 2
    assert services["runlens-api"].get("deploy", {}).get("replicas", 1) == 1
    assert services["runlens-collector"]["command"][-2:] == ["--role", "collector"]
    assert services["runlens-api"]["command"][-2:] == ["--role", "api"]
    for name in ("runlens-collector", "runlens-api"):
        service = services[name]
        assert service["depends_on"]["clickhouse"]["condition"] == "service_healthy"
        assert "@clickhouse:8123/runlens" in service["environment"]["RUNLENS_CLICKHOUSE_URL"]
        assert (DEPLOY / service["build"]["context"] / service["build"]["dockerfile"]).is_file()
    assert "otel/opentelemetry-collector-contrib" in services["otel-collector"]["image"]
    published = [p for s in services.values() for p in s.get("ports", [])]
    assert published and all(p.startswith("127.0.0.1:") for p in published)


def test_every_mounted_file_exists(compose: dict[str, Any]) -> None:
    named = set(compose.get("volumes", {}))
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source in named:
                continue
            assert (DEPLOY / source).is_file(), f"{name} mounts {source}, which does not exist"


def test_the_dockerfile_copies_what_exists() -> None:
    root = DEPLOY.parent
    for line in (DEPLOY / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (root / source).exists(), source


@pytest.mark.parametrize("path", COLLECTOR_CONFIGS, ids=lambda p: p.name)
def test_collector_pipelines_use_defined_components(path: Path) -> None:
    config = load(path)
    service = config["service"]
    for extension in service.get("extensions", []):
        assert extension in config["extensions"], extension
    assert set(service["pipelines"]) <= {"traces", "logs", "metrics"}  # what runlens receives
    for pipeline in service["pipelines"].values():
        for kind in ("receivers", "processors", "exporters"):
            for component in pipeline.get(kind, []):
                assert component in config[kind], f"{path.name}: {kind}.{component} undefined"


def test_the_load_balancer_routes_by_trace_to_the_collector_service(
    compose: dict[str, Any],
) -> None:
    config = load(DEPLOY / "otel-collector" / "loadbalancing.yaml")
    exporter = config["exporters"]["loadbalancing"]
    assert exporter["routing_key"] == "traceID"
    assert set(exporter["protocol"]) == {"otlp"}  # the only protocol it supports
    assert "endpoint" not in exporter["protocol"]["otlp"]  # the resolver supplies it
    resolver = exporter["resolver"]
    assert list(resolver) == ["dns"]  # one resolver only
    assert resolver["dns"]["hostname"] in compose["services"]
    assert resolver["dns"]["port"] == "4317"  # runlens' OTLP/gRPC port
    auth = exporter["protocol"]["otlp"]["auth"]["authenticator"]
    assert auth in config["extensions"]
    forwarded = {h["from_context"] for h in config["extensions"][auth]["headers"]}
    assert forwarded == set(config["processors"]["batch"]["metadata_keys"])
    for protocol in config["receivers"]["otlp"]["protocols"].values():
        assert protocol["include_metadata"] is True


def test_clickhouse_configs_declare_what_cluster_sql_uses() -> None:
    for path in (DEPLOY / "clickhouse").rglob("*.xml"):
        ET.parse(path)  # well-formed
    config = ET.parse(DEPLOY / "clickhouse" / "config.d" / "cluster.xml").getroot()
    macros = {child.tag for child in config.findall("macros/*")}
    sql = (DEPLOY / "clickhouse" / "cluster.sql").read_text()
    assert set(re.findall(r"\{(\w+)\}", sql)) <= macros
    cluster = config.findtext("macros/cluster")
    assert config.find(f"remote_servers/{cluster}/shard/replica") is not None
    users = ET.parse(DEPLOY / "clickhouse" / "users.d" / "runlens.xml").getroot()
    settings = {child.tag for child in users.findall("profiles/runlens/*")}
    documented = set(re.findall(r"^--\s+(\w+) = ", sql, re.MULTILINE))
    assert documented and documented <= settings
