"""Agent-side helpers: start markers (`StartMarkerSpanProcessor`) and the demo agent."""

from runlens.sdk.processor import StartMarkerSpanProcessor

__all__ = ["StartMarkerSpanProcessor"]
