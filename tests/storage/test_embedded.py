"""Allocator tuning of a process that embeds chDB: defaults applied, an operator's choice kept."""

from __future__ import annotations

import pyarrow as pa
import pytest

from runlens.storage.clickhouse import embedded


def test_defaults_apply_when_nothing_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    pools: list[pa.MemoryPool] = []
    monkeypatch.delenv("JE_MALLOC_CONF", raising=False)
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    monkeypatch.setattr(embedded.pa, "set_memory_pool", pools.append)

    embedded.tune_embedded_process()

    assert embedded.os.environ["JE_MALLOC_CONF"] == embedded.CHDB_MALLOC_CONF
    assert [pool.backend_name for pool in pools] == ["system"]


def test_an_operators_settings_win(monkeypatch: pytest.MonkeyPatch) -> None:
    pools: list[pa.MemoryPool] = []
    monkeypatch.setenv("JE_MALLOC_CONF", "dirty_decay_ms:0")
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")
    monkeypatch.setattr(embedded.pa, "set_memory_pool", pools.append)

    embedded.tune_embedded_process()

    assert embedded.os.environ["JE_MALLOC_CONF"] == "dirty_decay_ms:0"
    assert pools == []
