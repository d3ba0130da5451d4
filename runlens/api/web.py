"""The web UI on the API port: `runlens/web/` served as files. Client routes (`/`, `/runs`,
`/runs/:id`, `/runs/:id/timeline`, `/activity`, …) answer index.html, never cached; the
modules and vendored libraries are under `/assets/<version>/`, where the version is a hash of
the files, so they are cached for a year and a new release is a new URL."""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, Response

from runlens.api.guard import content_security_policy

WEB_ROOT = Path(__file__).resolve().parents[1] / "web"
SERVED = ("app", "vendor")  # folders under /assets/<version>/
CLIENT_ROUTES = ("/", "/runs", "/runs/{rest:path}", "/activity")
IMMUTABLE = "public, max-age=31536000, immutable"
# Scripts that are not modules of the UI: GraphiQL's page and its React builds.
_NOT_MODULES = frozenset(
    {"graphiql.js", "graphiql.min.js", "react.production.min.js", "react-dom.production.min.js"}
)
_IMPORT_MAP = re.compile(r'<script type="importmap">(.*?)</script>', re.DOTALL)


@dataclass(frozen=True, slots=True)
class WebAssets:
    version: str
    index_html: str
    csp: str  # the UI's: this origin, plus the import map by its hash
    graphiql_html: str

    @classmethod
    def load(cls, root: Path = WEB_ROOT) -> WebAssets:
        digest = hashlib.sha256()
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
        version = digest.hexdigest()[:12]
        base = f"/assets/{version}"
        # Every module up front: without the hints the browser finds them one import level
        # at a time (measured: ~5 round trips before the first query).
        modules = sorted(
            p.relative_to(root).as_posix()
            for folder in SERVED
            for p in (root / folder).rglob("*.*")
            if p.suffix in (".js", ".mjs") and p.name not in _NOT_MODULES
        )
        preload = "\n".join(f'<link rel="modulepreload" href="{base}/{m}">' for m in modules)
        index = ((root / "index.html").read_text().replace("{{preload}}", preload)).replace(
            "{{assets}}", base
        )
        hashes = [_script_hash(m.group(1)) for m in _IMPORT_MAP.finditer(index)]
        graphiql = (root / "graphiql.html").read_text().replace("{{assets}}", base)
        return cls(version, index, content_security_policy(hashes), graphiql)

    @property
    def graphiql_csp(self) -> str:
        """GraphiQL's React components set inline styles."""
        return content_security_policy(inline_styles=True)


def _script_hash(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def build_web_router(assets: WebAssets, root: Path = WEB_ROOT) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    async def index() -> HTMLResponse:
        headers = {"Cache-Control": "no-cache", "Content-Security-Policy": assets.csp}
        return HTMLResponse(assets.index_html, headers=headers)

    for route in CLIENT_ROUTES:
        router.add_api_route(route, index, methods=["GET", "HEAD"])

    @router.get("/assets/{version}/{path:path}")
    async def asset(version: str, path: str) -> Response:
        file = _asset_path(root, path)
        if version != assets.version or file is None:
            raise HTTPException(404, "no such asset")
        media_type, _ = mimetypes.guess_type(file.name)
        if file.suffix in (".js", ".mjs"):
            media_type = "text/javascript"
        return FileResponse(file, media_type=media_type, headers={"Cache-Control": IMMUTABLE})

    return router


def _asset_path(root: Path, path: str) -> Path | None:
    """The file under one of the served folders, or None (also for `..` escapes)."""
    file = (root / path).resolve()
    if not any(file.is_relative_to((root / folder).resolve()) for folder in SERVED):
        return None
    return file if file.is_file() else None
