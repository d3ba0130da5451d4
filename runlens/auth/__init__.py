"""API keys: how a request proves which project it belongs to (DESIGN.md §5)."""
