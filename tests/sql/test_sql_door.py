"""The SQL door of a running server: `/clickhouse` with clickhouse-connect as the client, and
`runlens sql` in another process, while the server holds the embedded store and ingests."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import clickhouse_connect
import pytest
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from runlens.local_admin import find
from runlens.serve import Endpoints
from runlens.storage.clickhouse.store import chdb_path
from tests.collector.agent import provider, weather_run
from tests.conftest import running_server
from tests.eventually import eventually

SCHEMA_DOC = Path(__file__).parents[2] / "docs" / "schema.md"


@pytest.fixture(scope="module")
def project() -> str:
    return f"sql-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="module")
def server(chdb_dsn: str, project: str) -> Iterator[Endpoints]:
    with running_server(chdb_dsn, project=project) as endpoints:
        yield endpoints


@pytest.fixture(scope="module")
def runs(server: Endpoints, project: str) -> list[str]:
    """Three weather runs through the real OTel SDK, the last with a failing tool."""
    exporter = OTLPSpanExporter(endpoint=f"127.0.0.1:{server.grpc_port}", insecure=True)
    tracer_provider = provider(SimpleSpanProcessor(exporter))
    ids = [weather_run(tracer_provider, fail_tool=i == 2) for i in range(3)]
    tracer_provider.shutdown()
    return ids


@pytest.fixture(scope="module")
def client(server: Endpoints) -> Iterator[Client]:
    ch = clickhouse_connect.get_client(
        host=server.host, port=server.api_port, proxy_path="/clickhouse"
    )
    yield ch
    ch.close()


def test_clickhouse_connect_reads_what_was_just_ingested(
    client: Client, runs: list[str], project: str
) -> None:
    def summarised() -> list[tuple[str, str]]:  # (run id, status)
        rows = client.query(
            "SELECT run_id, status FROM run_summaries FINAL WHERE project_id = {p:String} "
            "ORDER BY run_id",
            parameters={"p": project},
        ).result_rows
        assert len(rows) == 3
        # each run ends COMPLETED once its summary is refreshed (a failed tool call, not run)
        assert {str(status) for _, status in rows} == {"completed"}, rows
        return [(str(run), str(status)) for run, status in rows]

    rows = eventually(summarised)
    assert sorted(run for run, _ in rows) == sorted(runs)
    table = client.query_arrow(
        f"SELECT project_id, count() AS spans FROM runlens.spans FINAL "
        f"WHERE project_id = '{project}' GROUP BY project_id"
    )
    assert table.to_pylist() == [{"project_id": project, "spans": 12}]


@pytest.mark.parametrize(
    ("statement", "code"),
    [
        ("INSERT INTO runlens.api_keys (key_id) VALUES ('x')", 164),
        ("CREATE TABLE runlens.t (a Int8) ENGINE = Memory", 164),
        ("DROP TABLE runlens.spans", 164),
        ("SELECT 1 SETTINGS readonly = 0", 164),
        ("SELECT query FROM system.processes", 497),
        ("SELECT * FROM INFORMATION_SCHEMA.TABLES", 497),
        ("SELECT * FROM default.t", 497),
        ("SELECT 1 WHERE 1 IN (SELECT 1 FROM system.query_log)", 497),
        ("SELECT * FROM merge('system', '^processes$')", 497),
        ("SELECT * FROM file('/etc/hostname', 'LineAsString')", 497),
        ("SELECT * FROM url('http://127.0.0.1:9/', 'LineAsString')", 497),
        ("SELECT file('/etc/hostname')", 497),
        ("SELECT 1; SELECT 2", 164),
    ],
)
def test_writes_and_other_databases_are_refused(
    client: Client, server: Endpoints, statement: str, code: int
) -> None:
    with pytest.raises(DatabaseError) as refused:
        client.command(statement)
    assert f"code: {code}" in str(refused.value)
    assert client.query("SELECT count() FROM runlens.spans").result_rows  # still serving


def test_an_insert_through_the_client_is_refused(client: Client, project: str) -> None:
    with pytest.raises(DatabaseError):
        client.insert("runlens.api_keys", [["x", project]], column_names=["key_id", "project_id"])
    rows = client.query(
        "SELECT count() FROM api_keys WHERE project_id = {p:String}", parameters={"p": project}
    ).result_rows
    assert rows == [(0,)]


def analytics_queries() -> list[str]:
    """The fenced SQL of docs/schema.md, section "Analytics while runlens runs"."""
    text = SCHEMA_DOC.read_text()
    section = text.split("## Analytics while runlens runs", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, re.S)


def test_the_documented_analytics_queries_answer(
    client: Client, runs: list[str], project: str
) -> None:
    queries = analytics_queries()
    assert len(queries) == 3

    def answered() -> list[list[dict[str, object]]]:
        # every run's summary refreshed: the per-agent figures count all three
        results = [
            _non_empty(client, sql.replace("'default'", f"'{project}'").strip().rstrip(";"))
            for sql in queries
        ]
        assert results[0][0]["runs"] == 3, results[0]
        return results

    per_day, tools, errors = eventually(answered)
    assert per_day[0]["agent_id"] == "weather_agent" and per_day[0]["runs"] == 3
    assert float(str(per_day[0]["cost_usd"])) > 0
    assert tools[0]["tool_name"] == "get_weather" and tools[0]["calls"] == 3
    assert tools[0]["errors"] == 1
    assert errors[0]["error_type"] == "TimeoutError" and errors[0]["runs"] == 1


def _non_empty(client: Client, sql: str) -> list[dict[str, object]]:
    rows = list(client.query(sql).named_results())
    assert rows
    return rows


def sql_cli(data_dir: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "runlens", "sql", "--clickhouse-url", f"chdb://{data_dir}"]
    return subprocess.run(
        [*command, *args], check=False, capture_output=True, text=True, timeout=120
    )


def test_runlens_sql_goes_through_the_running_server(
    chdb_dsn: str, server: Endpoints, runs: list[str], project: str
) -> None:
    data_dir = chdb_path(chdb_dsn)
    if data_dir is None or find(data_dir) is None:
        pytest.skip("the session store is a ClickHouse server: no admin door")
    query = (
        f"SELECT kind, count() AS spans FROM spans FINAL WHERE project_id = '{project}' "
        "GROUP BY kind ORDER BY kind"
    )
    table = sql_cli(data_dir, query)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["kind", "spans"] and lines[-1] == "(3 rows)"
    assert lines[2].split() == ["agent", "3"] and lines[3].split() == ["llm_call", "6"]

    rows = list(csv.DictReader(io.StringIO(sql_cli(data_dir, query, "--format", "csv").stdout)))
    assert [(row["kind"], row["spans"]) for row in rows] == [
        ("agent", "3"),
        ("llm_call", "6"),
        ("tool_execution", "3"),
    ]
    objects = sql_cli(data_dir, query, "--format", "json").stdout.splitlines()
    assert json.loads(objects[2]) == {"kind": "tool_execution", "spans": 3}

    refused = sql_cli(data_dir, "SELECT * FROM system.processes")
    assert refused.returncode == 1
    assert "system.processes is not served" in refused.stderr
    assert "DB::Exception" not in refused.stderr + refused.stdout
