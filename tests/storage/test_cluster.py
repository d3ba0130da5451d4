"""deploy/clickhouse/cluster.sql, executed on chDB started as a node of a one-shard cluster
(tests/storage/cluster_node.py says what chDB can and cannot do there).

- Every table of the file is created with its Replicated engine, has the columns, indexes, keys,
  TTL and settings the single-node migrations end with, and is dropped again.
- With the Replicated engines swapped for their single-node twins, runlens writes and reads
  through the Distributed tables: the storage conformance suite (its `chdb` backend is the
  node), the ClickHouse store, live-change and control-command suites pass, and the rows land
  in the local tables.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SERVER_URL_ENV
from tests.storage.cluster_node import CLUSTER_DIR_ENV, data_path

ROOT = Path(__file__).parents[2]
SUITES = [
    "tests/storage/conformance",  # its `chdb` backend is the node: see the -k below
    "tests/storage/test_store.py",
    "tests/live/test_changes.py",
    "tests/control/test_service.py",
]
# Single-node only: replicated tables deduplicate inserts with replicated_deduplication_window.
_SINGLE_NODE_SETTINGS = {"non_replicated_deduplication_window"}

# How a Distributed table spreads its rows when not by run: metric points by their series, so
# every delivery of a point lands on one shard and FINAL collapses it there.
SHARDING = {
    "metric_points": "cityHash64(project_id, metric_name, metric_type, resource, scope_name, "
    "attributes)",
}


def _node(command: str, directory: Path) -> Any:
    done = subprocess.run(
        [sys.executable, "-m", "tests.storage.cluster_node", command, str(directory)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout) if done.stdout.strip() else None


def _engine(full: str) -> tuple[str, dict[str, str]]:
    """An engine clause without its Replicated arguments, and its SETTINGS apart."""
    clause, _, settings = full.partition(" SETTINGS ")
    clause = re.sub(r"^Replicated(\w+)\('[^']*', '[^']*'(?:, )?", r"\1(", clause)
    pairs = dict(s.split(" = ", 1) for s in settings.split(", ") if s)
    return clause, {k: v for k, v in pairs.items() if k not in _SINGLE_NODE_SETTINGS}


@pytest.fixture(scope="module")
def described(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    described: dict[str, Any] = _node("describe", tmp_path_factory.mktemp("cluster-ddl"))
    return described


def test_the_node_serves_its_one_shard_locally(described: dict[str, Any]) -> None:
    assert described["clusters"] == [{"cluster": "runlens", "shard_num": 1, "is_local": 1}]


def _local(name: str, cluster: dict[str, Any]) -> str:
    """The table holding a single-node table's rows on a cluster node."""
    return f"{name}_local" if f"{name}_local" in cluster else name


def test_every_table_matches_the_single_node_schema(described: dict[str, Any]) -> None:
    single, cluster = described["single"], described["cluster"]
    assert set(single) <= set(cluster), "cluster.sql lacks tables of the migrations"
    data = [name for name, t in single.items() if t["engine"].endswith("MergeTree")]
    assert "spans" in data
    for name in data:
        local = _local(name, cluster)
        node, replicated = single[name], cluster[local]
        assert replicated["engine"] == f"Replicated{node['engine']}", name
        assert _engine(replicated["engine_full"]) == _engine(node["engine_full"]), name
        for field in ("columns", "indexes", "sorting_key", "partition_key", "primary_key"):
            assert replicated[field] == node[field], (name, field)
        if local != name:  # the name runlens uses is the Distributed table in front
            front = cluster[name]
            shard = SHARDING.get(name, "cityHash64(project_id, run_id)")
            assert (
                front["engine_full"] == f"Distributed('{{cluster}}', 'runlens', '{local}', {shard})"
            )
            assert front["columns"] == node["columns"], name
    view = cluster["run_summaries_by_id_mv"]["as_select"]
    assert view == single["run_summaries_by_id_mv"]["as_select"] + "_local"


def test_every_replicated_table_is_created_and_dropped(described: dict[str, Any]) -> None:
    single, cluster = described["single"], described["cluster"]
    made = sorted(t for t, d in cluster.items() if d["engine"].startswith("Replicated"))
    data = [name for name, t in single.items() if t["engine"].endswith("MergeTree")]
    assert made == sorted(_local(name, cluster) for name in data)
    # chDB starts no keeper: the replicas exist but stay read-only (nothing can be inserted)
    assert sorted(r["table"] for r in described["replicas"]) == made
    assert all(r["is_readonly"] == 1 for r in described["replicas"])
    assert sorted(described["dropped"]) == made
    assert described["left"] == []


def test_runlens_reads_and_writes_through_the_distributed_tables(tmp_path: Path) -> None:
    _node("load", tmp_path)
    env = {
        **os.environ,
        CLUSTER_DIR_ENV: str(tmp_path),
        SERVER_URL_ENV: f"chdb://{data_path(tmp_path)}",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "tests.storage.cluster_node",
            "-p",
            "no:cacheprovider",
            "-k",
            "not memory and not server",  # the conformance suite's other backends
            *SUITES,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert re.search(r"\b\d+ passed\b", done.stdout) and "skipped" not in done.stdout

    stored = _node("counts", tmp_path)
    for name in ("spans", "logs", "run_summaries", "run_summaries_by_id", "control_commands"):
        assert stored["engines"][name] == "Distributed"
        assert stored["rows"][f"{name}_local"] > 0, name
