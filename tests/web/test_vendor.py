"""The vendored browser libraries are the files `make vendor` recorded, and the UI names
nothing outside the machine."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from runlens.api.web import WEB_ROOT

VENDOR = WEB_ROOT / "vendor"


def test_every_vendored_file_matches_its_manifest_hash() -> None:
    manifest = json.loads((VENDOR / "manifest.json").read_text())
    assert manifest, "the manifest lists no file"
    for entry in manifest:
        path = VENDOR / entry["file"]
        assert path.is_file(), f"{entry['file']} ({entry['package']}) is missing"
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert digest == entry["sha256"], (
            f"{entry['file']} differs from {entry['package']}@{entry['version']}"
        )
    listed = {entry["file"] for entry in manifest}
    code = {
        p.relative_to(VENDOR).as_posix()
        for p in VENDOR.rglob("*")
        if p.suffix in (".js", ".mjs", ".css")
    }
    assert code == {f for f in listed if Path(f).suffix in (".js", ".mjs", ".css")}, (
        "unlisted vendored code"
    )


def test_the_import_map_points_at_vendored_files() -> None:
    index = (WEB_ROOT / "index.html").read_text()
    imports = json.loads(re.search(r'<script type="importmap">(.*?)</script>', index, re.S)[1])[
        "imports"
    ]  # type: ignore[index]
    for name, url in imports.items():
        assert url.startswith("{{assets}}/vendor/"), name
        assert (WEB_ROOT / url.removeprefix("{{assets}}/")).is_file(), f"{name} -> {url} is missing"


def test_the_ui_loads_nothing_from_elsewhere() -> None:
    """No absolute URL in the pages or the UI's own modules (vendored code may mention URLs in
    comments and error texts; what it loads is checked in the browser tests)."""
    sources = [
        WEB_ROOT / "index.html",
        WEB_ROOT / "graphiql.html",
        *(WEB_ROOT / "app").rglob("*.*"),
    ]
    for path in sources:
        text = path.read_text()
        assert not re.search(r"(src|href)=[\"']?(https?:)?//", text), path
        assert "unpkg" not in text and "cdn" not in text.lower(), path
