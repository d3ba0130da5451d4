"""The UI on the API port: client routes answer index.html uncached, assets live under a
versioned URL cached for a year, and nothing of the API is shadowed."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from runlens.serve import Endpoints
from tests.conftest import running_server


@pytest.fixture(scope="module")
def server(chdb_dsn: str) -> Iterator[Endpoints]:
    with running_server(chdb_dsn, project="web-serving") as endpoints:
        yield endpoints


@pytest.mark.parametrize(
    "path", ["/", "/runs", "/runs/abc123", "/runs/abc123/timeline", "/runs/abc/live", "/activity"]
)
def test_client_routes_answer_the_page_uncached(server: Endpoints, path: str) -> None:
    response = httpx.get(server.api_url + path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    assert '<script type="importmap">' in response.text
    assert "{{assets}}" not in response.text


def test_assets_are_versioned_and_cached_for_a_year(server: Endpoints) -> None:
    page = httpx.get(server.api_url + "/runs").text
    main = re.search(r'src="(/assets/[0-9a-f]{12}/app/main\.js)"', page)
    assert main is not None, page
    response = httpx.get(server.api_url + main[1])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    version = main[1].split("/")[2]
    stale = main[1].replace(version, "000000000000")
    assert httpx.get(server.api_url + stale).status_code == 404
    escapes = ("app/%2e%2e/%2e%2e/serve.py", "app/%2e%2e/index.html", "__init__.py", "vendor")
    for escape in escapes:
        assert httpx.get(f"{server.api_url}/assets/{version}/{escape}").status_code == 404, escape


def test_the_api_is_not_shadowed(server: Endpoints) -> None:
    api = server.api_url
    assert httpx.get(api + "/healthz").json()["status"] == "ok"
    body = httpx.post(api + "/graphql", json={"query": "{ projectStats { runs } }"}).json()
    assert body["data"]["projectStats"]["runs"] == 0
    exported = httpx.get(api + "/export/runs", params={"format": "json"})
    assert exported.status_code == 200 and exported.json() == []
    missing = httpx.get(api + "/no-such-thing")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/json"
    assert httpx.get(api + "/runsx").status_code == 404


def test_graphiql_is_served_from_vendored_files(server: Endpoints) -> None:
    response = httpx.get(server.api_url + "/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    scripts = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert scripts and all(s.startswith("/assets/") for s in scripts), scripts
    for url in scripts:
        assert httpx.get(server.api_url + url).status_code == 200, url
    assert "'unsafe-eval'" not in response.headers["content-security-policy"]


def test_docs_are_off(server: Endpoints) -> None:
    """FastAPI's /docs loads Swagger UI from a CDN: it is not served."""
    assert httpx.get(server.api_url + "/docs").status_code == 404
    assert httpx.get(server.api_url + "/redoc").status_code == 404
