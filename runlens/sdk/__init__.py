"""Agent-side helpers: start markers (`StartMarkerSpanProcessor`), the demo agent, and replay
mode in `runlens.sdk.replay` (docs/replay.md)."""

from runlens.sdk.processor import StartMarkerSpanProcessor

__all__ = ["StartMarkerSpanProcessor"]
