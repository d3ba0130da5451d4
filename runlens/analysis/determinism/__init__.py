"""Determinism analysis: detectors over a run's spans, evidence from other runs, the score.

Pure functions over `SpanRecord`s; nothing here reads storage. docs/determinism.md documents
the detectors and the scoring rule.
"""
