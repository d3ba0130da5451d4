"""Configured API limits answer clearly: aliases and page size (GraphQL errors, never a silently
smaller page) and the export rate (429 with Retry-After)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from runlens.api.rate_limit import RateLimiter
from runlens.serve import Endpoints
from tests.api.conftest import GraphQL
from tests.conftest import running_server


@pytest.fixture(scope="module")
def limited(chdb_dsn: str) -> Iterator[Endpoints]:
    with running_server(
        chdb_dsn,
        project=f"limits-{uuid.uuid4().hex[:8]}",
        max_query_aliases=3,
        max_page_size=5,
        export_burst=2,
        export_rate_per_min=1,
    ) as endpoints:
        yield endpoints


def test_alias_limit(limited: Endpoints) -> None:
    gql = GraphQL(limited.api_url)
    fields = " ".join(f"a{n}: projectStats {{ runs }}" for n in range(3))
    assert set(gql(f"{{ {fields} }}")) == {"a0", "a1", "a2"}
    body = gql.post(f"{{ {fields} a3: projectStats {{ runs }} }}")
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert error["message"] == (
        "the query uses 4 aliases; at most 3 are allowed: split it into several requests"
    )
    assert body["data"] is None


def test_aliases_in_fragments_count_once_per_use(limited: Endpoints) -> None:
    query = """fragment Twice on Query { x: projectStats { runs } y: projectStats { runs } }
      query { ...Twice more: agents { id } }"""
    assert GraphQL(limited.api_url)(query) == {
        "x": {"runs": 0}, "y": {"runs": 0}, "more": []
    }  # fmt: skip
    nested = "fragment F on Query { x: projectStats { runs } y: agents { id } } " + (
        "query { ...F a: projectStats { runs } b: projectStats { runs } }"
    )
    [error] = GraphQL(limited.api_url).errors(nested)
    assert "uses 4 aliases; at most 3" in error["message"]


@pytest.mark.parametrize(
    "field", ["runs(first: 6) { edges { cursor } }", "agents(first: 6) { id }"]
)
def test_page_size_limit_is_configurable(limited: Endpoints, field: str) -> None:
    gql = GraphQL(limited.api_url)
    [error] = gql.errors(f"{{ {field} }}")
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "`first` must be between 0 and 5 (got 6)" in error["message"]
    assert gql("{ runs(first: 5) { edges { cursor } } }")["runs"]["edges"] == []


def test_export_rate_is_limited_per_project(limited: Endpoints) -> None:
    url = f"{limited.api_url}/export/runs"
    assert [httpx.get(url, params={"format": "json"}).status_code for _ in range(2)] == [200, 200]
    refused = httpx.get(url, params={"format": "json"})
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] in {"59", "60"}
    error = refused.json()["error"]
    assert error["code"] == "RATE_LIMITED"
    assert error["message"].startswith(
        "too many exports for this project: at most 2 at once and 1 per minute; retry in"
    )
    assert httpx.get(f"{limited.api_url}/healthz").status_code == 200


def test_token_buckets() -> None:
    now = [100.0]
    limiter = RateLimiter(per_minute=30, burst=2, clock=lambda: now[0])
    assert [limiter.take("a"), limiter.take("a")] == [0.0, 0.0]
    assert limiter.take("a") == pytest.approx(2.0)  # one token every 2 s
    assert limiter.take("b") == 0.0  # another project has its own bucket
    now[0] += 1.0
    assert limiter.take("a") == pytest.approx(1.0)
    now[0] += 1.0
    assert limiter.take("a") == 0.0
    now[0] += 3600.0
    assert [limiter.take("a"), limiter.take("a"), limiter.take("a") > 0] == [0.0, 0.0, True]
