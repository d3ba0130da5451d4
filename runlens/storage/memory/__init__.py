"""The in-memory backend of runlens' storage contract (store.py)."""

from runlens.storage.memory.store import MemoryStore

__all__ = ["MemoryStore"]
