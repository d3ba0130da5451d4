"""README.md past the tutorial: troubleshooting and the reference sections' commands, run as
written against a real `runlens serve` process; and every command block of the README is run
by one of these tests or the tutorial's (a new block needs a test)."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

from tests.readme.conftest import ROOT, Served, blocks, sections

TUTORIAL = (
    "1. Start runlens",
    "2. Send the demo",
    "3. Open the UI",
    "4. Send your own agent's spans",
    "5. Watch a run live, and stop it",
    "6. Replay it",
)
REFERENCE = (
    "Troubleshooting",
    "Reading runs: GraphQL",
    "Replay",
    "Projects and API keys",
    "SQL",
)
NOT_RUN = {
    "Development": "make targets: CI runs `make lint` and `make test` (.ci/run); the benchmarks "
    "take minutes to hours and print figures, they are run by hand for the notes",
}


def test_every_command_block_of_the_readme_is_run_by_a_test() -> None:
    with_commands = {heading for heading, found in sections().items() if found}
    assert with_commands == {*TUTORIAL, *REFERENCE, *NOT_RUN}


def test_a_port_in_use_is_avoided_with_free_ports(served: Served, tmp_path: Path) -> None:
    [ports], _, _ = blocks("Troubleshooting")
    quoted = re.search(
        r"\(`(runlens: cannot start: .*?)127\.0\.0\.1:4317`\)", _troubleshooting("A port")
    )
    assert quoted
    port = served.grpc.rsplit(":", 1)[1]
    taken = served.run([f"runlens serve --grpc-port {port}"], cwd=tmp_path, timeout=120)
    assert taken.returncode == 1
    assert f"{quoted.group(1)}127.0.0.1:{port}" in taken.stderr

    server = served.start([ports], cwd=tmp_path)
    try:
        found = server.until(r"API\s+http://127\.0\.0\.1:(\d+)", timeout=120)
        assert found.group(1) != "0"
        server.until(re.escape("Press Ctrl+C to stop."))
    finally:
        assert server.stop() == 0


def test_a_locked_store_is_explained_and_another_directory_works(
    served: Served, tmp_path: Path
) -> None:
    _, [other_data], _ = blocks("Troubleshooting")
    said = _troubleshooting("The store is locked")
    quoted = re.search(r"\(`another runlens process holds …/runlens-data: (.*?)`\)", said, re.S)
    assert quoted, said
    message = " ".join(quoted.group(1).split())
    refused = served.run([f"runlens serve --clickhouse-url chdb://{served.data}"], timeout=120)
    assert refused.returncode != 0
    assert f"another runlens process holds {served.data}: {message}" in refused.stderr

    server = served.start([other_data], cwd=tmp_path)
    try:
        server.until(rf"data\s+{re.escape(str(tmp_path / 'other-data'))}", timeout=120)
        server.until(re.escape("Press Ctrl+C to stop."))
    finally:
        assert server.stop() == 0


def test_metric_exports_are_stored_as_the_readme_says(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    _, _, [no_metrics] = blocks("Troubleshooting")
    done = served.run([no_metrics, 'test "$OTEL_METRICS_EXPORTER" = none'])
    assert done.returncode == 0, done.stderr
    said = _troubleshooting("The agent exports metrics")
    assert "`runlens.metric_points`" in said
    exporter = OTLPMetricExporter(endpoint=f"http://{served.grpc}", insecure=True, timeout=5)
    meters = MeterProvider(metric_readers=[PeriodicExportingMetricReader(exporter)])
    meters.get_meter("agent").create_counter("readme.tokens").add(7)
    with caplog.at_level(logging.ERROR):
        meters.shutdown()
    assert "Failed to export" not in caplog.text
    query = "SELECT sum(value) FROM metric_points FINAL WHERE metric_name = 'readme.tokens'"
    # where `make run` keeps its store, as a user runs it
    stored = served.run([f'runlens sql "{query}" --format csv'], cwd=served.data.parent)
    assert stored.returncode == 0, stored.stderr
    assert stored.stdout.strip().splitlines()[-1] == "7"


def test_the_sql_section_queries_the_running_store(served: Served) -> None:
    [[query]] = blocks("SQL")
    done = served.run([query], cwd=served.data.parent)  # where `make run` keeps its store
    assert done.returncode == 0, done.stderr
    assert "kind" in done.stdout


def test_the_graphql_example_lists_runs(served: Served) -> None:
    [curl] = blocks("Reading runs: GraphQL")
    done = served.run(curl)
    assert done.returncode == 0, done.stderr
    edges = json.loads(done.stdout)["data"]["runs"]["edges"]
    assert isinstance(edges, list)


def test_the_replay_reference_commands_run(served: Served) -> None:
    [commands] = blocks("Replay")
    recorded = served.run(["python examples/pydantic_agent.py"])
    found = re.search(r"run (\w{32}):", recorded.stdout)
    assert found, recorded
    served.ended(found.group(1))
    for command in commands:
        done = served.run([command], RUN_ID=found.group(1))
        assert done.returncode == 0, done.stderr
        assert f"compared with run {found.group(1)}" in done.stdout


def test_the_keys_commands_run_on_a_stopped_store(served: Served, tmp_path: Path) -> None:
    [commands] = blocks("Projects and API keys")
    create, *rest = commands
    store = {"RUNLENS_CLICKHOUSE_URL": f"chdb://{tmp_path / 'keys-data'}"}
    created = served.run([create], env=store)
    assert created.returncode == 0, created.stderr
    key_id = re.search(r"created key (\w+) for project 'shop'", created.stdout)
    key = re.search(r"^\s+(\S+)$", created.stdout, re.M)
    assert key_id and key, created.stdout
    done = served.run(
        [*rest, 'test "$OTEL_EXPORTER_OTLP_HEADERS" = "x-runlens-api-key=' + key.group(1) + '"'],
        env=store,
        **{"[--project shop]": "--project shop", "<key id or key>": key_id.group(1)},
        **{"<key>": key.group(1)},
    )
    assert done.returncode == 0, done.stderr
    assert key_id.group(1) in done.stdout and key.group(1) not in done.stdout


def _troubleshooting(title: str) -> str:
    """The text of the troubleshooting item starting with **title**."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Troubleshooting") :]
    item = section[section.index(f"**{title}") :]
    return item[: item.find("\n- **", 1)]
