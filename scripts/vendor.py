"""`make vendor`: copy the browser builds the web UI imports from npm into runlens/web/vendor/.

Each package is fetched with `npm pack` at the pinned version into a temporary directory (no
node_modules, nothing installed), the listed files are copied, and vendor/manifest.json records
package, version, file and sha256 for every file (tests/web/test_vendor.py checks the hashes).
Run it to upgrade a package: change its pin here, run `make vendor`, commit the result.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[1] / "runlens" / "web" / "vendor"

# package, version, {file in the package: file under vendor/<dir>/}
PACKAGES: list[tuple[str, str, dict[str, str]]] = [
    (
        "preact",
        "10.29.8",
        {
            "dist/preact.module.js": "preact/preact.module.js",
            "hooks/dist/hooks.module.js": "preact/hooks.module.js",
        },
    ),
    (
        "htm",
        "3.1.1",
        {
            "dist/htm.module.js": "htm/htm.module.js",
        },
    ),
    (
        "@preact/signals-core",
        "1.14.5",
        {
            "dist/signals-core.module.js": "signals-core/signals-core.module.js",
        },
    ),
    (
        "@preact/signals",
        "2.11.4",
        {
            "dist/signals.module.js": "signals/signals.module.js",
        },
    ),
    (
        "graphql-ws",
        "6.4.2",
        {
            "dist/client.js": "graphql-ws/client.js",
            "dist/common-CGW11Fyb.js": "graphql-ws/common-CGW11Fyb.js",
        },
    ),
    (
        "marked",
        "18.3.0",
        {
            "lib/marked.esm.js": "marked/marked.esm.js",
        },
    ),
    (
        "dompurify",
        "3.5.0",
        {
            "dist/purify.es.mjs": "dompurify/purify.es.mjs",
        },
    ),
    # GraphiQL at GET /graphql: its UMD build on React 18's (the last React with UMD builds).
    ("react", "18.3.1", {"umd/react.production.min.js": "graphiql/react.production.min.js"}),
    (
        "react-dom",
        "18.3.1",
        {
            "umd/react-dom.production.min.js": "graphiql/react-dom.production.min.js",
        },
    ),
    (
        "graphiql",
        "3.8.2",
        {
            "graphiql.min.js": "graphiql/graphiql.min.js",
            "graphiql.min.css": "graphiql/graphiql.min.css",
        },
    ),
]


LICENCES = ("LICENSE", "LICENSE.md", "LICENSE-MPL")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(package: str, version: str, into: Path) -> Path:
    """The unpacked package directory of `package@version`, from `npm pack`."""
    out = (
        subprocess.run(
            ["npm", "pack", f"{package}@{version}", "--silent", "--pack-destination", str(into)],
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    target = into / out.removesuffix(".tgz")
    with tarfile.open(into / out) as tar:
        tar.extractall(target, filter="data")
    return target / "package"


def main() -> int:
    if shutil.which("npm") is None:
        print("make vendor needs npm (Node.js)", file=sys.stderr)
        return 1
    shutil.rmtree(VENDOR, ignore_errors=True)
    manifest = []
    with tempfile.TemporaryDirectory() as tmp:
        for package, version, files in PACKAGES:
            root = fetch(package, version, Path(tmp))
            for source, dest in files.items():
                target = VENDOR / dest
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(root / source, target)
                manifest.append(
                    {"package": package, "version": version, "file": dest, "sha256": sha256(target)}
                )
                print(f"{package}@{version}  {source} -> vendor/{dest}")
            licence = next((root / n for n in LICENCES if (root / n).exists()), None)
            if licence is not None:  # kept beside the code, not in the manifest
                folder = (VENDOR / next(iter(files.values()))).parent
                shutil.copyfile(licence, folder / f"LICENSE.{package.replace('/', '_')}")
    (VENDOR / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
