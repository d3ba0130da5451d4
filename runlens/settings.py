"""Every setting runlens reads, declared once: flag, `RUNLENS_*` variable, default, meaning.

Parsed once at start into a frozen model; nothing below this module reads the environment.
Command-line flags override environment variables, which override the defaults.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from runlens.semconv.redaction import (
    BUILTIN_RULES,
    RedactionRules,
    check_builtins,
    compile_pattern,
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RUNLENS_", frozen=True, extra="ignore")

    role: Literal["all", "collector", "api"] = Field(
        "all",
        description="What this process runs: `all`, `collector` (OTLP receivers and ingest) or "
        "`api` (GraphQL, export, control and live subscriptions, following the store).",
    )
    host: str = Field("127.0.0.1", description="Address every listener binds to.")
    grpc_port: int = Field(
        4317, ge=0, le=65535, description="OTLP/gRPC port (0 = pick a free one)."
    )
    otlp_http_port: int = Field(
        4318, ge=0, le=65535, description="OTLP/HTTP port (0 = pick a free one)."
    )
    port: int = Field(8000, ge=0, le=65535, description="HTTP API port (0 = pick a free one).")
    allowed_hosts: str = Field(
        "",
        description="Extra host names the API and UI answer to, comma-separated (`*`: any); "
        "the bound address and, on loopback, `localhost` are always allowed.",
    )
    clickhouse_url: str = Field(
        "chdb://./runlens-data",
        description="`chdb://PATH` embeds ClickHouse with its data in PATH; "
        "`http(s)://user:pass@host:8123/db` reaches a ClickHouse server.",
    )
    project: str = Field(
        "default", description="Project that receives data sent without a key when auth is off."
    )
    auth: Literal["auto", "required", "disabled"] = Field(
        "auto",
        description="API keys: `required` (every request needs one), `disabled` (requests "
        "without a key go to the default project) or `auto`: disabled on the embedded store, "
        "required on a ClickHouse server.",
    )
    key_cache_s: float = Field(
        5.0, gt=0, le=300, description="API key lookups are cached this long (revocation delay)."
    )
    retention_days: int = Field(90, ge=1, description="Days before stored data expires (TTL).")
    run_timeout_s: float = Field(
        1800.0, gt=0, description="A running run with no activity for this long is closed as lost."
    )
    sweep_interval_s: float = Field(
        30.0,
        gt=0,
        description="How often lost runs, and runs whose summary is older than their spans, "
        "are looked for.",
    )
    refresh_gap_s: float = Field(
        0.5,
        gt=0,
        description="Shortest time between two run-summary refreshes; the runs written in "
        "between are refreshed together.",
    )
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
    max_span_attributes: int = Field(
        4096,
        ge=1,
        description="Attributes kept per span, per span event and per log record; later ones "
        "are dropped and counted in `runlens.limits.dropped_attributes`.",
    )
    max_span_events: int = Field(
        1024,
        ge=0,
        description="Events kept per span; later ones are dropped and counted in "
        "`runlens.limits.dropped_events`.",
    )
    redact: str = Field(
        ",".join(BUILTIN_RULES),
        description="Built-in redaction rules applied before storage, comma-separated "
        "(empty: none); docs/redaction.md.",
    )
    redact_patterns: dict[str, str] = Field(
        default_factory=dict,
        description='Extra redaction regexes by rule name, as JSON: {"employee_id": '
        '"EMP-[0-9]{6}"}; a match becomes `[REDACTED:employee_id]`.',
    )
    redact_keys: str = Field(
        "",
        description="Attribute keys whose whole value is redacted, comma-separated; a key "
        "ending with `.` covers every key under it.",
    )
    max_query_depth: int = Field(12, ge=2, description="Deepest GraphQL operation accepted.")
    max_query_aliases: int = Field(30, ge=0, description="Most aliases in a GraphQL document.")
    max_page_size: int = Field(
        200, ge=1, description="Largest GraphQL `first`; more is an error, not a smaller page."
    )
    export_rate_per_min: float = Field(
        60.0, gt=0, description="`GET /export/runs` requests per minute and project, sustained."
    )
    export_burst: int = Field(
        30, ge=1, description="`GET /export/runs` requests a project may make at once."
    )

    @field_validator("redact")
    @classmethod
    def _known_rules(cls, value: str) -> str:
        check_builtins(_names(value))
        return value

    @field_validator("redact_patterns")
    @classmethod
    def _valid_patterns(cls, value: dict[str, str]) -> dict[str, str]:
        for name, source in value.items():
            compile_pattern(name, source)
        return value

    @property
    def redaction_rules(self) -> RedactionRules:
        return RedactionRules(
            builtins=tuple(_names(self.redact)),
            patterns=dict(self.redact_patterns),
            attribute_keys=tuple(_names(self.redact_keys)),
        )

    @property
    def allowed_host_names(self) -> list[str]:
        return _names(self.allowed_hosts)

    @property
    def auth_required(self) -> bool:
        if self.auth == "auto":
            return not self.clickhouse_url.startswith("chdb://")
        return self.auth == "required"


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]
