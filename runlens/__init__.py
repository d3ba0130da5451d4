"""runlens: observability backend for LLM agents."""

__version__ = "0.1.0"
