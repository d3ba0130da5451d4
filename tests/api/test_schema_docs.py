"""docs/api.md carries the schema as served: regenerate it when the schema changes."""

from __future__ import annotations

from pathlib import Path

from runlens.api.graphql.schema import sdl

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def test_documented_schema_is_the_served_schema() -> None:
    assert sdl().rstrip() + "\n```" in DOCS.read_text(), (
        "docs/api.md is out of date: regenerate its Schema section from "
        "runlens.api.graphql.schema.sdl()"
    )
