"""The API benchmark's dataset: many agent runs over many days, generated column by column with
numpy/pyarrow straight into the Arrow layout of `runlens.spans` (rows.SPAN_SCHEMA), inserted
through the store's write path and summarised by its recompute, one batch of whole runs at a time.

`load_main` runs in a spawned process (chDB holds one data path per process, and the benchmark's
own process stays free of chDB). It writes `manifest.json` next to the store only once every
batch is stored, so a directory with a manifest for the same spec is complete and reusable.

Shape of the data (per run): one `agent` root span, then children alternating `llm_call` and
`tool_execution` (a `summarization` replaces a tool step in 30% of the longer runs). 8 agents
picked with Zipf weights, 5 models (one unpriced), ~10% failed runs (last step and root fail),
~4% of tool calls fail in runs that still complete, runs started in the last minutes of the
timeline are still running (no ended root), ~3% of runs have most tool calls blocked
(`runlens.action.outcome = blocked`), ~5% carry a `runlens.budget.usd` budget. LLM input is the
agent's system prompt (identical on every call) plus text drawn from a Zipf vocabulary, 1-3 KB;
LLM output 1-3 KB; tool arguments and results are small. Every payload carries its span id, so
no two are identical.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from runlens.storage.clickhouse.rows import ENDED_BIT, SPAN_SCHEMA

I64 = npt.NDArray[np.int64]
BOOL = npt.NDArray[np.bool_]
F64 = npt.NDArray[np.float64]

PROJECT = "default"
MANIFEST = "manifest.json"
STORE_DIR = "store"
SAMPLE_SPANS = 25  # the timeline benchmark reads runs of exactly this many spans
SAMPLE_RUNS = 400

_NS = 1_000_000_000
_TS_NS = pa.timestamp("ns", tz="UTC")
_TS_US = pa.timestamp("us", tz="UTC")

AGENTS = (
    ("support_agent", "Support Agent"),
    ("research_agent", "Research Agent"),
    ("coding_agent", "Coding Agent"),
    ("billing_agent", "Billing Agent"),
    ("travel_agent", "Travel Agent"),
    ("sql_agent", "SQL Agent"),
    ("triage_agent", "Triage Agent"),
    ("docs_agent", "Docs Agent"),
)
# model, provider, USD per 1M input tokens, per 1M output tokens (0, 0: no price)
MODELS = (
    ("gpt-4o", "openai", 2.5, 10.0),
    ("gpt-4o-mini", "openai", 0.15, 0.6),
    ("claude-sonnet-4", "anthropic", 3.0, 15.0),
    ("claude-3-5-haiku", "anthropic", 0.8, 4.0),
    ("llama-3.1-70b-local", "ollama", 0.0, 0.0),
)
TOOLS = (
    "search_web", "read_file", "write_file", "run_sql", "http_get", "lookup_customer",
    "create_ticket", "send_email", "run_tests", "get_weather", "book_flight", "refund_order",
)  # fmt: skip
_ERRORS_TOOL = (
    ("ToolNotFoundError", "unknown tool 'search_v2'"),
    ("TimeoutError", "tool call timed out after 30 s"),
    ("ValueError", "invalid argument: date must be ISO 8601"),
    ("PermissionError", "403 Forbidden: access denied to /etc/secrets"),
)
_ERRORS_LLM = (
    ("RateLimitError", "429 Too Many Requests: rate limit exceeded"),
    ("APIError", "503 Service Unavailable: model overloaded"),
    ("BadRequestError", "This model's maximum context length is 128000 tokens"),
)


@dataclass(frozen=True, slots=True)
class DatasetSpec:
    spans: int
    runs: int
    days: float = 100.0
    seed: int = 7
    batch_spans: int = 50_000

    @property
    def retention_days(self) -> int:
        """The tables' TTL: longer than the timeline, so that no generated day expires."""
        return int(self.days) + 30


@dataclass(frozen=True, slots=True)
class Progress:
    batch: int
    batches: int
    spans: int  # stored so far
    runs: int
    elapsed_s: float


@dataclass
class LoadFigures:
    spans: int = 0
    runs: int = 0
    batches: int = 0
    generate_s: float = 0.0  # overlapped with the inserts (a prefetch thread)
    insert_s: float = 0.0
    recompute_s: float = 0.0
    settle_s: float = 0.0  # waiting for background merges after the last batch
    wall_s: float = 0.0
    peak_rss_mb: float = 0.0
    disk_bytes: int = 0
    spans_parts: int = 0
    summary_parts: int = 0
    query_cache: str = ""  # ClickHouse's `use_query_cache` default in the store's sessions


@dataclass
class Manifest:
    spec: dict[str, Any]
    generated_at_ns: int  # the end of the generated timeline
    spans: int
    runs: int
    sample_run_ids: list[str]  # runs of exactly SAMPLE_SPANS spans, spread over the timeline
    top_agent: str
    load: dict[str, Any] = field(default_factory=dict)


def read_manifest(data_dir: Path) -> Manifest | None:
    try:
        raw = json.loads((data_dir / MANIFEST).read_text())
        return Manifest(**raw)
    except (OSError, ValueError, TypeError):
        return None


# -- runs ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Runs:
    """Run-level arrays for the whole dataset, in start order."""

    start_ns: I64
    agent: I64
    count: I64  # spans per run
    failed: BOOL
    running: BOOL
    blocked: BOOL  # most tool calls blocked
    budget: F64  # NaN: no budget attribute
    summarized: BOOL
    run_ids: pa.Array
    conversation_ids: pa.Array


def hex_ids(rng: np.random.Generator, n: int, nbytes: int) -> pa.Array:
    """`n` random lowercase hex ids of `2 * nbytes` digits, as one Arrow string array."""
    width = 2 * nbytes
    data = rng.bytes(n * nbytes).hex().encode()
    offsets = np.arange(0, n * width + 1, width, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def zipf_weights(n: int, s: float = 1.1) -> F64:
    w = 1.0 / np.arange(1, n + 1, dtype=np.float64) ** s
    return np.asarray(w / w.sum(), dtype=np.float64)


def make_runs(spec: DatasetSpec, now_ns: int) -> Runs:
    rng = np.random.default_rng(spec.seed)
    n = spec.runs
    end_ns = now_ns - 10 * 60 * _NS  # the last spans of the newest runs still end in the past
    begin_ns = end_ns - int(spec.days * 86_400 * _NS)
    # Traffic grows over the period (the newest days are busiest) and follows the time of day.
    u = np.sort(rng.random(n) ** 0.8)
    start = begin_ns + (u * (end_ns - begin_ns)).astype(np.int64)
    hour = (start // (3600 * _NS)) % 24
    start = np.sort(start - ((hour < 6) * rng.integers(0, 6 * 3600, n) * _NS))
    start = np.maximum(start, begin_ns)
    mean = spec.spans // n
    half = max(1, min(8, mean // 3))
    deviation = rng.integers(-half, half + 1, n // 2)
    deviation = np.concatenate([deviation, -deviation, np.zeros(n % 2, np.int64)])
    rng.shuffle(deviation)
    count = np.maximum(mean + deviation, 2)
    rest = spec.spans - int(count.sum())
    if rest > 0:
        count[rng.choice(n, size=min(rest, n), replace=False)] += 1
    running = start >= end_ns - 20 * 60 * _NS
    failed = (rng.random(n) < 0.10) & ~running
    budget = np.where(rng.random(n) < 0.05, rng.uniform(0.02, 0.4, n), np.nan)
    return Runs(
        start_ns=start.astype(np.int64),
        agent=rng.choice(len(AGENTS), size=n, p=zipf_weights(len(AGENTS))),
        count=count.astype(np.int64),
        failed=failed,
        running=running,
        blocked=rng.random(n) < 0.03,
        budget=budget,
        summarized=rng.random(n) < 0.30,
        run_ids=hex_ids(rng, n, 16),
        conversation_ids=hex_ids(rng, n, 8),
    )


def batches_of(runs: Runs, batch_spans: int) -> list[tuple[int, int]]:
    """[start, end) run ranges of about `batch_spans` spans each, whole runs only."""
    ends = np.cumsum(runs.count)
    cuts = np.searchsorted(ends, np.arange(batch_spans, int(ends[-1]), batch_spans), "right")
    bounds = [0, *sorted({int(c) for c in cuts if 0 < c < len(ends)}), len(ends)]
    return list(itertools.pairwise(bounds))


# -- text ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Texts:
    system: pa.Array  # one system prompt per agent, JSON-escaped
    short: pa.Array  # 20-80 chars
    medium: pa.Array  # 100-900 chars
    long: pa.Array  # 400-1400 chars


def make_texts(seed: int) -> Texts:
    rng = np.random.default_rng(seed + 1)
    letters = np.array(list("etaoinshrdlucmfwypvbgkjqxz"))
    letter_p = zipf_weights(len(letters), 0.9)
    vocabulary = [
        "".join(rng.choice(letters, size=int(rng.integers(2, 10)), p=letter_p)) for _ in range(6000)
    ]
    word_p = zipf_weights(len(vocabulary), 1.05)

    def chunks(count: int, low: int, high: int) -> pa.Array:
        out: list[str] = []
        for _ in range(count):
            size = int(rng.integers(low, high))
            words = rng.choice(len(vocabulary), size=size // 5 + 4, p=word_p)
            out.append(" ".join(vocabulary[w] for w in words)[:size])
        return pa.array(out, pa.string())

    systems = [
        f"You are {name}, a careful assistant for ACME Corp. "
        + str(chunks(1, 700, 1000)[0])
        + " Always answer in English. Use the tools when you need facts."
        for _, name in AGENTS
    ]
    return Texts(
        system=pa.array(systems, pa.string()),
        short=chunks(1024, 20, 80),
        medium=chunks(2048, 100, 900),
        long=chunks(2048, 400, 1400),
    )


def _pick(rng: np.random.Generator, pool: pa.Array, n: int) -> pa.Array:
    return pool.take(pa.array(rng.integers(0, len(pool), n)))


def _join(*parts: Any) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


# -- spans -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Batch:
    table: pa.Table
    run_ids: list[str]
    start_ns: list[int]  # per run
    first_seen_us: list[int]  # per run: when its first span would have reached runlens
    stored_us: int  # when the last span of the batch would have been stored


def _by_kind(n: int, groups: list[tuple[I64, pa.Array]], dtype: pa.DataType) -> pa.Array:
    """One array of `n` values assembled from per-group values (`indices` -> values)."""
    order = np.concatenate([idx for idx, _ in groups])
    inverse = np.empty(n, np.int64)
    inverse[order] = np.arange(n)
    values = pa.concat_arrays([vals.cast(dtype) for _, vals in groups])
    return values.take(pa.array(inverse))


def _map(keys: list[str], key_codes: I64, values: list[pa.Array], present: BOOL) -> pa.Array:
    """A Map(String, String) column: slot k of span i is (keys[key_codes[i, k]], values[k][i])
    where present[i, k]."""
    n = present.shape[0]
    rows, cols = np.nonzero(present)
    offsets = np.concatenate([[0], np.cumsum(present.sum(axis=1))]).astype(np.int32)
    flat_values = pa.concat_arrays(values).take(pa.array(cols * n + rows))
    flat_keys = pa.array(keys, pa.string()).take(pa.array(key_codes[rows, cols]))
    return pa.MapArray.from_arrays(
        pa.array(offsets, pa.int32()), flat_keys, flat_values, type=SPAN_SCHEMA.field(
            "attributes").type
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Shape:
    """Per-span numpy arrays of one batch: structure, times, status, usage."""

    n: int
    run_of: I64  # run index within the batch
    first: I64  # per run: index of its root span
    pos: I64  # position within the run (0 = root)
    agent: I64
    root: BOOL
    llm: BOOL  # llm_call
    tool: BOOL  # tool_execution
    summ: BOOL  # summarization
    last: BOOL
    start: I64
    end: I64
    error: BOOL
    running: BOOL
    blocked: BOOL
    model: I64  # index into MODELS; len(MODELS) for spans that are no LLM call
    has_call: BOOL  # an LLM call whose next span runs the tool it asked for


def _shape(runs: Runs, lo: int, hi: int, rng: np.random.Generator) -> _Shape:
    count = runs.count[lo:hi]
    run_of = np.repeat(np.arange(hi - lo), count)
    first = np.concatenate([[0], np.cumsum(count)[:-1]])
    n = int(count.sum())
    pos = np.arange(n) - first[run_of]
    last = pos == count[run_of] - 1
    root = pos == 0
    llm = (pos % 2 == 1) & ~root
    summ = (pos == 12) & runs.summarized[lo:hi][run_of] & (count[run_of] > 14)
    tool = (pos % 2 == 0) & ~root & ~summ
    # children one after another, the root spans them all
    dur = np.where(
        llm, rng.lognormal(np.log(1.6e9), 0.6, n),
        np.where(tool, rng.lognormal(np.log(2.5e8), 1.0, n), rng.lognormal(np.log(3e9), 0.4, n)),
    ).astype(np.int64)  # fmt: skip
    dur[root] = 0
    step = np.where(root, 0, rng.integers(2_000_000, 60_000_000, n)) + dur
    cs = np.cumsum(step)
    start = runs.start_ns[lo:hi][run_of] + cs - (cs[first] - step[first])[run_of] - dur
    end = start + dur
    end[root] = np.maximum.reduceat(end, first)[run_of[root]] + 15_000_000
    # a failed run: its last step and its root fail; a running run: root and last step run
    failed_run = runs.failed[lo:hi][run_of]
    running = runs.running[lo:hi][run_of] & (root | last)
    error = (last & failed_run) | (tool & (rng.random(n) < 0.04))
    error[root] = failed_run[root]
    error &= ~running
    blocked = (
        tool
        & ~error
        & ~running
        & ((runs.blocked[lo:hi][run_of] & (rng.random(n) < 0.7)) | (rng.random(n) < 0.005))
    )
    agent = runs.agent[lo:hi][run_of]
    choice = rng.random(n)
    model = np.where(choice < 0.85, agent % 4, np.where(choice < 0.98, rng.integers(0, 4, n), 4))
    return _Shape(
        n=n, run_of=run_of, first=first, pos=pos, agent=agent, root=root, llm=llm, tool=tool,
        summ=summ, last=last, start=start, end=np.where(running, 0, end), error=error,
        running=running, blocked=blocked, model=np.where(llm | summ, model, len(MODELS)),
        has_call=llm & np.roll(tool, -1) & ~last,
    )  # fmt: skip


def _usage(sh: _Shape, rng: np.random.Generator) -> dict[str, pa.Array]:
    """Token and cost columns: context grows per turn, later turns hit the prompt cache."""
    n, chat = sh.n, sh.llm | sh.summ
    turn = sh.pos // 2
    input_tokens = np.where(chat, 1200 + 450 * turn + rng.integers(0, 400, n), 0)
    cached = np.where(sh.llm & (turn > 0), input_tokens * rng.uniform(0.4, 0.8, n), 0)
    cached = cached.astype(np.int64)
    output_tokens = np.where(chat, np.clip(rng.lognormal(np.log(250), 0.7, n), 20, 4000), 0)
    output_tokens = output_tokens.astype(np.int64)
    reasoning = np.where((sh.model == 2) & (rng.random(n) < 0.3), output_tokens // 3, 0)
    price_in = np.array([m[2] for m in MODELS] + [0.0])[sh.model]
    price_out = np.array([m[3] for m in MODELS] + [0.0])[sh.model]
    cost = ((input_tokens - cached) * price_in + cached * price_in * 0.1
            + output_tokens * price_out) / 1e6  # fmt: skip
    priced = chat & (sh.model < 4)
    source = np.where(priced, 1, np.where(chat & (sh.model == 4), 2, 0))
    return {
        "input_tokens": pa.array(input_tokens, pa.uint64()),
        "cached_tokens": pa.array(cached, pa.uint64()),
        "cache_write_tokens": pa.array(np.zeros(n, np.int64), pa.uint64()),
        "output_tokens": pa.array(output_tokens, pa.uint64()),
        "reasoning_tokens": pa.array(reasoning, pa.uint64()),
        "cost_usd": pa.array(cost, pa.float64(), mask=~priced),
        "cost_source": pa.array(["none", "price_table", "unpriced"]).take(pa.array(source)),
    }


def _payloads(
    sh: _Shape, texts: Texts, span_ids: pa.Array, rng: np.random.Generator
) -> tuple[pa.Array, pa.Array]:
    """`input` and `output` (JSON text) of every span, built per kind."""
    sys_prompt = texts.system.take(pa.array(sh.agent))
    turn = pc.cast(pa.array(sh.pos // 2), pa.string())
    idx_llm, idx_tool, idx_summ, idx_root = (
        np.nonzero(m)[0] for m in (sh.llm, sh.tool, sh.summ, sh.root)
    )

    def chat_input(idx: I64) -> pa.Array:
        k = len(idx)
        return _join(
            '[{"role":"system","parts":[{"type":"text","content":"', sys_prompt.take(idx),
            '"}]},{"role":"user","parts":[{"type":"text","content":"', _pick(rng, texts.medium, k),
            " ", _pick(rng, texts.medium, k), " (turn ", turn.take(idx), ", ref ",
            span_ids.take(idx), ')"}]}]',
        )  # fmt: skip

    k_llm, k_tool, k_summ, k_root = len(idx_llm), len(idx_tool), len(idx_summ), len(idx_root)
    outputs = [
        _join('[{"role":"assistant","parts":[{"type":"text","content":"',
              _pick(rng, texts.long, k_llm), " ", _pick(rng, texts.long, k_llm), " [",
              span_ids.take(idx_llm), ']"}]}]'),
        _join('{"result":"', _pick(rng, texts.medium, k_tool), '","status":"ok"}'),
        _join('[{"role":"assistant","parts":[{"type":"text","content":"Summary: ',
              _pick(rng, texts.long, k_summ), '"}]}]'),
        _join('{"answer":"', _pick(rng, texts.medium, k_root), '"}'),
    ]  # fmt: skip
    inputs = [
        chat_input(idx_llm),
        _join('{"query":"', _pick(rng, texts.short, k_tool), '","ref":"',
              span_ids.take(idx_tool), '"}'),
        chat_input(idx_summ),
        _join('{"task":"', _pick(rng, texts.short, k_root), '"}'),
    ]  # fmt: skip
    groups = [idx_llm, idx_tool, idx_summ, idx_root]
    return (
        _by_kind(sh.n, list(zip(groups, inputs, strict=True)), pa.string()),
        _by_kind(sh.n, list(zip(groups, outputs, strict=True)), pa.string()),
    )


def _tool_calls(sh: _Shape, call_ids: pa.Array, tool_names: pa.Array, inputs: pa.Array) -> pa.Array:
    """Each LLM call that asked for a tool: the call its next (tool) span runs."""
    nxt = pa.array(np.nonzero(sh.has_call)[0] + 1)
    list_type = SPAN_SCHEMA.field("tool_calls").type
    items = pa.StructArray.from_arrays(
        [call_ids.take(nxt), tool_names.take(nxt), inputs.take(nxt)],
        fields=list(list_type.value_type),
    )
    offsets = pa.array(np.concatenate([[0], np.cumsum(sh.has_call)]), pa.int32())
    return pa.ListArray.from_arrays(offsets, items, type=list_type)


def _errors(sh: _Shape, rng: np.random.Generator) -> tuple[pa.Array, pa.Array]:
    """`error_type`, `error_message`: a failed run's root reports its last step's error."""
    listed = _ERRORS_TOOL + _ERRORS_LLM
    code = np.where(
        sh.tool, rng.integers(0, len(_ERRORS_TOOL), sh.n),
        len(_ERRORS_TOOL) + rng.integers(0, len(_ERRORS_LLM), sh.n),
    )  # fmt: skip
    last_of_run = np.append(sh.first[1:], sh.n) - 1
    code[sh.root] = code[last_of_run]
    code = pa.array(np.where(sh.error, code, len(listed)))
    return (
        pa.array([e[0] for e in listed] + [""]).take(code),
        pa.array([e[1] for e in listed] + [""]).take(code),
    )


def _attributes(
    sh: _Shape, budget: F64, values: dict[str, pa.Array], rng: np.random.Generator
) -> pa.Array:
    """Raw span attributes: operation, model/tool/agent, a request id, budget, outcome."""
    n, s = sh.n, pa.string()
    keys = ["gen_ai.operation.name", "gen_ai.request.model", "gen_ai.tool.name",
            "gen_ai.agent.name", "app.request_id", "runlens.budget.usd",
            "runlens.action.outcome"]  # fmt: skip
    kind_code = pa.array(np.where(sh.root, 0, np.where(sh.llm, 1, np.where(sh.tool, 2, 3))))
    ops = pa.array(["invoke_agent", "chat", "execute_tool", "summarize"]).take(kind_code)
    second = pc.if_else(
        pa.array(sh.llm | sh.summ), values["model"],
        pc.if_else(pa.array(sh.tool), values["tool"], values["agent"]),
    )  # fmt: skip
    has_budget = sh.root & ~np.isnan(budget)
    budget_text = pc.cast(pa.array(np.round(np.nan_to_num(budget), 2)), s)
    key_codes = np.stack(
        [np.zeros(n, np.int64), np.where(sh.llm | sh.summ, 1, np.where(sh.tool, 2, 3)),
         np.full(n, 4), np.full(n, 5), np.full(n, 6)], axis=1,
    )  # fmt: skip
    present = np.stack(
        [np.ones(n, bool), np.ones(n, bool), np.ones(n, bool), has_budget, sh.blocked], axis=1
    )
    slots = [ops, second, hex_ids(rng, n, 8), budget_text, pa.repeat(pa.scalar("blocked", s), n)]
    return _map(keys, key_codes, slots, present)


def _resource(sh: _Shape, agent_ids: pa.Array) -> pa.Array:
    n, s = sh.n, pa.string()
    keys = ["service.name", "service.version", "deployment.environment", "host.name",
            "telemetry.sdk.language", "telemetry.sdk.name"]  # fmt: skip
    values = [
        _join(agent_ids, "-svc"), pa.repeat(pa.scalar("1.4.2", s), n),
        pa.repeat(pa.scalar("production", s), n),
        _join("worker-", pc.cast(pa.array(sh.agent % 3), s)),
        pa.repeat(pa.scalar("python", s), n), pa.repeat(pa.scalar("opentelemetry", s), n),
    ]  # fmt: skip
    return _map(keys, np.tile(np.arange(len(keys)), (n, 1)), values, np.ones((n, 6), bool))


def build_batch(runs: Runs, texts: Texts, span_range: tuple[int, int], seed: int) -> Batch:
    """The spans of runs [lo, hi) as one Arrow table in the layout of `runlens.spans`."""
    lo, hi = span_range
    rng = np.random.default_rng([seed, lo])
    sh = _shape(runs, lo, hi, rng)
    n, s = sh.n, pa.string()
    chat = pa.array(sh.llm | sh.summ)
    is_tool = pa.array(sh.tool)
    span_ids = hex_ids(rng, n, 8)
    run_ids = runs.run_ids.slice(lo, hi - lo).take(pa.array(sh.run_of))
    call_ids = _join("call_", hex_ids(rng, n, 6))
    tool_names = pa.array(TOOLS).take(pa.array((sh.agent * 3 + rng.integers(0, 4, n)) % 12))
    models = pa.array([m[0] for m in MODELS] + [""]).take(pa.array(sh.model))
    agent_ids = pa.array([a for a, _ in AGENTS]).take(pa.array(sh.agent))
    inputs, outputs = _payloads(sh, texts, span_ids, rng)
    error_type, error_message = _errors(sh, rng)
    kind_code = pa.array(np.where(sh.root, 0, np.where(sh.llm, 1, np.where(sh.tool, 2, 3))))

    def text(value: str) -> pa.Array:
        return pa.repeat(pa.scalar(value, s), n)

    # stored as if ingested live: a span reaches runlens 0.2-3 s after it ended (or started,
    # for a running span's start marker)
    ingested_us = (
        np.where(sh.running, sh.start, sh.end) + rng.integers(200_000_000, 3 * _NS, n)
    ) // 1000
    columns: dict[str, pa.Array] = {
        "project_id": text(PROJECT),
        "run_id": run_ids,
        "trace_id": run_ids,
        "span_id": span_ids,
        "parent_span_id": pc.if_else(
            pa.array(sh.root), "", span_ids.take(pa.array(sh.first[sh.run_of]))
        ),
        "kind": pa.array(["agent", "llm_call", "tool_execution", "summarization"]).take(kind_code),
        "name": pc.if_else(
            chat,
            _join("chat ", models),
            pc.if_else(
                is_tool, _join("execute_tool ", tool_names), _join("invoke_agent ", agent_ids)
            ),
        ),
        "status": pa.array(["ok", "error", "running"]).take(
            pa.array(np.where(sh.running, 2, np.where(sh.error, 1, 0)))
        ),
        "start_time": pa.array(sh.start, _TS_NS),
        "end_time": pa.array(sh.end, _TS_NS),
        "service_name": _join(agent_ids, "-svc"),
        "agent_id": agent_ids,
        "agent_name": pa.array([b for _, b in AGENTS]).take(pa.array(sh.agent)),
        "conversation_id": runs.conversation_ids.slice(lo, hi - lo).take(pa.array(sh.run_of)),
        "provider": pa.array([m[1] for m in MODELS] + [""]).take(pa.array(sh.model)),
        "request_model": models,
        "response_model": pc.if_else(pa.array(sh.llm), models, ""),
        "temperature": pa.array(np.where(sh.agent % 2 == 0, 0.2, 0.7), mask=~(sh.llm | sh.summ)),
        "top_p": pa.nulls(n, pa.float64()),
        "max_tokens": pa.array(np.full(n, 4096), pa.int64(), mask=~(sh.llm | sh.summ)),
        "stop_reason": pc.if_else(pa.array(sh.has_call), "tool_call", pc.if_else(chat, "stop", "")),
        "response_id": pc.if_else(chat, _join("resp_", span_ids), ""),
        **_usage(sh, rng),
        "price_version": pc.if_else(chat, "2025-06-01", ""),
        "input": inputs,
        "output": outputs,
        "tool_name": pc.if_else(is_tool, tool_names, ""),
        "tool_call_id": pc.if_else(is_tool, call_ids, ""),
        "tool_calls": _tool_calls(sh, call_ids, tool_names, inputs),
        "error_type": error_type,
        "error_message": error_message,
        "outcome": pc.if_else(pa.array(sh.blocked), "blocked", ""),
        "replay_of": text(""),
        "code_filepath": text(""),
        "code_function": text(""),
        "code_lineno": pa.array(np.zeros(n, np.int64), pa.uint32()),
        "dialects": pa.ListArray.from_arrays(pa.array(np.arange(n + 1), pa.int32()), text("genai")),
        "attributes": _attributes(
            sh,
            runs.budget[lo:hi][sh.run_of],
            {"model": models, "tool": tool_names, "agent": agent_ids},
            rng,
        ),
        "resource": _resource(sh, agent_ids),
        "events": text(""),
        "scope_name": pc.if_else(chat, "opentelemetry.instrumentation.openai", "runlens.sdk"),
        "truncated": pa.array(np.zeros(n, bool)),
        "binary": pa.array(np.zeros(n, bool)),
        "ingested_at": pa.array(ingested_us, _TS_US),
        "version": pa.array(
            np.where(sh.running, ingested_us, ENDED_BIT | ingested_us), pa.uint64()
        ),
    }
    table = pa.Table.from_arrays(
        [columns[f.name].cast(f.type) for f in SPAN_SCHEMA], schema=SPAN_SCHEMA
    )
    # first seen: when the run's first child ended (its export reached runlens)
    count = runs.count[lo:hi]
    first_end = sh.end[np.minimum(sh.first + 1, sh.first + count - 1)]
    return Batch(
        table=table,
        run_ids=runs.run_ids.slice(lo, hi - lo).to_pylist(),
        start_ns=runs.start_ns[lo:hi].tolist(),
        first_seen_us=(np.maximum(first_end, runs.start_ns[lo:hi]) // 1000).tolist(),
        stored_us=int(ingested_us.max()),
    )


def sample_runs(runs: Runs, seed: int, size: int = SAMPLE_RUNS) -> list[str]:
    """Ended runs of exactly SAMPLE_SPANS spans, drawn uniformly over the timeline."""
    rng = np.random.default_rng(seed + 2)
    eligible = np.nonzero((runs.count == SAMPLE_SPANS) & ~runs.running)[0]
    chosen = rng.choice(eligible, size=min(size, len(eligible)), replace=False)
    ids: list[str] = runs.run_ids.take(pa.array(chosen)).to_pylist()
    return ids


def iter_batches(
    runs: Runs, texts: Texts, spec: DatasetSpec, figures: LoadFigures
) -> Iterator[tuple[int, int, Batch]]:
    """Batches in time order; the next one is built in a thread while the current is stored
    (numpy, pyarrow and chDB release the GIL)."""
    ranges = batches_of(runs, spec.batch_spans)

    def build(lo: int, hi: int) -> Batch:
        started = time.perf_counter()
        batch = build_batch(runs, texts, (lo, hi), spec.seed)
        figures.generate_s += time.perf_counter() - started
        return batch

    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(build, *ranges[0])
        for number in range(len(ranges)):
            batch = pending.result(timeout=600)
            if number + 1 < len(ranges):
                pending = pool.submit(build, *ranges[number + 1])
            yield number, len(ranges), batch


# -- the loader process ----------------------------------------------------------------------


def load_main(spec_fields: dict[str, Any], data_dir: str, conn: Connection) -> None:
    """Spawned: generate and store the dataset into `data_dir`/store, report progress on `conn`,
    write the manifest, close the store. Sends a Manifest, or an error string."""
    try:
        manifest = _load(DatasetSpec(**spec_fields), Path(data_dir), conn)
        conn.send(manifest)
    except BaseException as exc:
        conn.send(f"{type(exc).__name__}: {exc}")
        raise


def _load(spec: DatasetSpec, data_dir: Path, conn: Connection) -> Manifest:
    from runlens.storage.clickhouse.writer import _Encoded
    from runlens.storage.contract import EncodedBatch, RunKey

    wall = time.perf_counter()
    now_ns = time.time_ns()
    runs = make_runs(spec, now_ns)
    texts = make_texts(spec.seed)
    figures = LoadFigures()
    store = _backdated_store().open(f"chdb://{data_dir / STORE_DIR}", spec.retention_days)
    try:
        for number, total, batch in iter_batches(runs, texts, spec, figures):
            keys = [RunKey(PROJECT, run_id) for run_id in batch.run_ids]
            starts = dict(zip(keys, batch.start_ns, strict=True))
            started = time.perf_counter()
            encoded = _Encoded(batch.table, None, starts, {})
            store.write_encoded([EncodedBatch(batch.table.num_rows, 0, encoded)])
            figures.insert_s += time.perf_counter() - started
            # As if each run had been ingested live: first seen when its first span arrived
            # (the refresh otherwise stamps every run "first seen now").
            store.first_seen_us.update(zip(keys, batch.first_seen_us, strict=True))
            started = time.perf_counter()
            store.refresh_runs(keys)
            figures.recompute_s += time.perf_counter() - started
            figures.spans += batch.table.num_rows
            figures.runs += len(keys)
            figures.batches += 1
            conn.send(Progress(number + 1, total, figures.spans, figures.runs,
                               time.perf_counter() - wall))  # fmt: skip
        started = time.perf_counter()
        _settle(store)
        figures.settle_s = time.perf_counter() - started
        _store_figures(store, figures)
    finally:
        store.close()
    figures.wall_s = time.perf_counter() - wall
    figures.peak_rss_mb = _peak_rss_mb()
    figures.disk_bytes = _du(data_dir / STORE_DIR)
    ids = sample_runs(runs, spec.seed)
    top = AGENTS[int(np.bincount(runs.agent, minlength=len(AGENTS)).argmax())][0]
    manifest = Manifest(
        spec=asdict(spec),
        generated_at_ns=now_ns,
        spans=figures.spans,
        runs=figures.runs,
        sample_run_ids=ids,
        top_agent=top,
        load=asdict(figures),
    )
    (data_dir / MANIFEST).write_text(json.dumps(asdict(manifest), indent=1))
    return manifest


def _backdated_store() -> Any:
    """`ClickHouseStore` whose runs are first seen when the generated timeline says, not when
    this benchmark loads them."""
    from runlens.storage.clickhouse.store import ClickHouseStore
    from runlens.storage.contract import RunKey

    class BackdatedStore(ClickHouseStore):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            self.first_seen_us: dict[RunKey, int] = {}

        def _first_seen(self, key: RunKey, now_us: int) -> int:
            return self.first_seen_us.pop(key, now_us)

    return BackdatedStore


def _settle(store: Any, max_seconds: float = 600.0) -> None:
    """Wait (bounded) until the background merges of the load are done, so that the server
    starts on a store at rest rather than merging while it is measured."""
    client = store._client()
    deadline = time.monotonic() + max_seconds
    quiet = 0
    while time.monotonic() < deadline and quiet < 3:
        busy = int(client.query("SELECT count() FROM system.merges").result_rows[0][0])
        quiet = quiet + 1 if busy == 0 else 0
        time.sleep(1.0)


def _store_figures(store: Any, figures: LoadFigures) -> None:
    client = store._client()
    rows = client.query(
        "SELECT table, count() FROM system.parts WHERE database = 'runlens' AND active "
        "GROUP BY table"
    ).result_rows
    parts = {str(t): int(c) for t, c in rows}
    figures.spans_parts = parts.get("spans", 0)
    figures.summary_parts = parts.get("run_summaries", 0)
    setting = client.query(
        "SELECT value FROM system.settings WHERE name = 'use_query_cache'"
    ).result_rows
    figures.query_cache = str(setting[0][0]) if setting else "?"


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _du(root: Path) -> int:
    total = 0
    for path in root.rglob("*"):
        try:
            if path.is_file() and not path.is_symlink():
                total += path.stat().st_blocks * 512
        except OSError:
            continue
    return total
