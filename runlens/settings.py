"""Every setting runlens reads, declared once: flag, `RUNLENS_*` variable, default, meaning.

Parsed once at start into a frozen model; nothing below this module reads the environment.
Command-line flags override environment variables, which override the defaults.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RUNLENS_", frozen=True, extra="ignore")

    host: str = Field("127.0.0.1", description="Address every listener binds to.")
    grpc_port: int = Field(
        4317, ge=0, le=65535, description="OTLP/gRPC port (0 = pick a free one)."
    )
    otlp_http_port: int = Field(
        4318, ge=0, le=65535, description="OTLP/HTTP port (0 = pick a free one)."
    )
    port: int = Field(8000, ge=0, le=65535, description="HTTP API port (0 = pick a free one).")
    clickhouse_url: str = Field(
        "chdb://./runlens-data",
        description="`chdb://PATH` embeds ClickHouse with its data in PATH; "
        "`http(s)://user:pass@host:8123/db` reaches a ClickHouse server.",
    )
    project: str = Field("default", description="Project that receives data sent without a key.")
    retention_days: int = Field(90, ge=1, description="Days before stored data expires (TTL).")
    run_timeout_s: float = Field(
        1800.0, gt=0, description="A running run with no activity for this long is closed as lost."
    )
    sweep_interval_s: float = Field(30.0, gt=0, description="How often lost runs are looked for.")
    price_table: Path | None = Field(
        None, description="JSON price table merged over the bundled one (docs/semconv.md)."
    )
    queue_max_spans: int = Field(
        20_000,
        ge=1,
        description="Spans waiting to be stored before clients get UNAVAILABLE/503 (bounds "
        "memory: ~4 KB each as Arrow for agent spans with content).",
    )
    batch_max_spans: int = Field(5_000, ge=1, description="Most spans stored in one insert.")
    write_timeout_s: float = Field(
        30.0, gt=0, description="How long an export waits for its spans to be stored."
    )
    max_request_bytes: int = Field(
        8 * 1024 * 1024, ge=1024, description="Largest accepted OTLP request (after gunzip)."
    )
    max_attribute_bytes: int = Field(
        256 * 1024, ge=64, description="Longer attribute values are truncated with a marker."
    )
    grpc_workers: int = Field(8, ge=1, description="Concurrent OTLP/gRPC requests served.")
    agent_budgets_usd: dict[str, float] = Field(
        default_factory=dict,
        description='Spending limit per agent id in USD, as JSON: {"agent": 1.5}. A run over '
        "its budget is a critical intercept (a `runlens.budget.usd` span attribute wins); a "
        "running run over its agent's budget is terminated (reason `budget exhausted`).",
    )
    intervention_threshold: float = Field(
        0.3,
        ge=0,
        le=1,
        description="Blocked actions plus interventions (terminate / steer commands) per "
        "action of a run at or above which the run is a critical intercept.",
    )
    command_expiry_s: float = Field(
        300.0,
        gt=0,
        description="A control command its agent has not fetched for this long expires.",
    )
