"""What the start banner prints as the data location."""

from __future__ import annotations

import os

from runlens.serve import data_location


def test_embedded_paths_are_absolute_and_drop_the_query() -> None:
    assert data_location("chdb://./data?x=1") == os.path.realpath("data")
    assert data_location("chdb:///var/lib/runlens") == "/var/lib/runlens"
    assert data_location("chdb://:memory:").startswith("in memory")


def test_server_urls_lose_their_credentials() -> None:
    assert data_location("http://user:secret@ch.internal:8123/db") == "ch.internal:8123/db"
