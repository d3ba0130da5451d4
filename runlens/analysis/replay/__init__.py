"""Replay analysis: canonical JSON, action alignment, run comparison and replay simulation.

Pure functions over `SpanRecord`s; nothing here reads storage.
"""
