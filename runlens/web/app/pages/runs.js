// The Runs page: critical intercepts, filters (in the URL), the registry with cursor paging,
// kept live by `runUpdates`, and the empty state that says how to send the first run.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../html.js";
import { here, navigate, Link, withQuery } from "../router.js";
import { query, subscribe, onReconnect } from "../client.js";
import { RUN_FIELDS } from "../fragments.js";
import { toMillis } from "../format.js";
import { useShortcuts } from "../keys.js";
import { Loading, ErrorState, Empty } from "../components/states.js";
import { Intercepts } from "./intercepts.js";
import { Filters, readFilters, filterVariables, isFiltered } from "./runs_filters.js";
import { RunRow } from "./run_row.js";
import { rememberList } from "./neighbours.js";

const PAGE = 50;
const RUNS = `query Runs($filter: RunFilter, $sort: RunSort, $first: Int, $after: String) {
  runs(filter: $filter, sort: $sort, first: $first, after: $after) {
    edges { cursor node { ${RUN_FIELDS} } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const UPDATES = `subscription Updates($filter: RunFilter) {
  runUpdates(filter: $filter) { type run { ${RUN_FIELDS} } }
}`;

/**
 * Merge a live update into the rows: replace a listed run in place; insert an unlisted one
 * (any update type: its creation may have come before the subscription) where the start-time
 * sort puts it, unless it belongs to a page not loaded yet. Other sorts count it as missed.
 */
function merge(rows, run, filters, more) {
  const at = rows.findIndex((r) => r.id === run.id);
  if (at >= 0) {
    const next = rows.slice();
    next[at] = run;
    return { rows: next };
  }
  if (filters.sort !== "started") return { rows, missed: true };
  const newer = (a, b) => (filters.dir === "desc" ? a > b : a < b);
  const start = toMillis(run.startedAt) ?? 0;
  let index = rows.findIndex((r) => newer(start, toMillis(r.startedAt) ?? 0));
  if (index < 0) index = rows.length;
  if (index === rows.length && more) return { rows };
  return { rows: [...rows.slice(0, index), run, ...rows.slice(index)] };
}

export function RunsPage() {
  const filters = readFilters(here.value);
  const key = JSON.stringify(filters);
  const [state, setState] = useState({ rows: [], cursor: null, more: false, loading: true, error: null });
  const [paused, setPaused] = useState(false);
  const [missed, setMissed] = useState(() => new Set()); // ids of runs not shown
  const [reload, setReload] = useState(0);
  const buffer = useRef([]);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  const filtersRef = useRef(filters);
  filtersRef.current = filters;

  const load = async (after, signal) => {
    const data = await query(RUNS, { ...filterVariables(filters), first: PAGE, after }, { signal });
    return data.runs;
  };

  // First page on every filter change; the subscription follows the same filter.
  useEffect(() => {
    const abort = new AbortController();
    setState((s) => ({ ...s, loading: true, error: null }));
    setMissed(new Set());
    load(null, abort.signal)
      .then((page) => setState({
        rows: page.edges.map((e) => e.node),
        cursor: page.pageInfo.endCursor,
        more: page.pageInfo.hasNextPage,
        loading: false,
        error: null,
        shown: here.value.query.toString(), // the filters the rows are for (bench/ui.py waits on it)
      }))
      .catch((error) => error.name !== "AbortError" && setState((s) => ({ ...s, loading: false, error })));
    const apply = (update) => {
      setState((s) => {
        const merged = merge(s.rows, update.run, filtersRef.current, s.more);
        if (merged.missed) setMissed((ids) => (ids.has(update.run.id) ? ids : new Set(ids).add(update.run.id)));
        return merged.rows === s.rows ? s : { ...s, rows: merged.rows };
      });
    };
    const stop = subscribe(UPDATES, { filter: filterVariables(filters).filter }, {
      next: (data) => (pausedRef.current ? buffer.current.push(data.runUpdates) : apply(data.runUpdates)),
      error: () => {},
    });
    const stopReconnect = onReconnect(() => setReload((n) => n + 1)); // catch up after a drop
    const flush = () => {
      buffer.current.splice(0).forEach(apply);
    };
    window.addEventListener("runlens:flush", flush);
    return () => {
      abort.abort();
      stop();
      stopReconnect();
      window.removeEventListener("runlens:flush", flush);
    };
  }, [key, reload]);

  const loadMore = async () => {
    if (!state.more || state.loadingMore) return;
    setState((s) => ({ ...s, loadingMore: true }));
    try {
      const page = await load(state.cursor);
      setState((s) => {
        const seen = new Set(s.rows.map((r) => r.id));
        const added = page.edges.map((e) => e.node).filter((r) => !seen.has(r.id));
        return { ...s, rows: [...s.rows, ...added], cursor: page.pageInfo.endCursor, more: page.pageInfo.hasNextPage, loadingMore: false };
      });
    } catch (error) {
      setState((s) => ({ ...s, loadingMore: false, error }));
    }
  };

  // Infinite scroll: load the next page when the sentinel under the table comes into view.
  const sentinel = useRef(null);
  useEffect(() => {
    if (!sentinel.current) return undefined;
    const observer = new IntersectionObserver((entries) => entries[0].isIntersecting && loadMore(), { rootMargin: "200px" });
    observer.observe(sentinel.current);
    return () => observer.disconnect();
  });

  const togglePause = () => {
    if (pausedRef.current) {
      setPaused(false);
      pausedRef.current = false;
      window.dispatchEvent(new Event("runlens:flush"));
    } else setPaused(true);
  };

  useShortcuts([
    { key: "j", description: "next run", handler: () => moveFocus(1) },
    { key: "k", description: "previous run", handler: () => moveFocus(-1) },
    { key: "ArrowDown", description: "next run", handler: () => moveFocus(1) },
    { key: "ArrowUp", description: "previous run", handler: () => moveFocus(-1) },
    { key: "p", description: "pause or resume live updates", handler: togglePause },
  ]);

  const { rows, loading, error } = state;
  // The run pages' [ and ] walk this list (same tab only).
  useEffect(() => rememberList(rows.map((r) => r.id), here.value.query.toString()), [rows]);
  return html`<section class="runs-page" aria-labelledby="runs-title" aria-busy=${loading} data-shown=${state.shown}>
    <${Intercepts} />
    <div class="title-row">
      <h1 id="runs-title">Runs</h1>
      <button type="button" class="small" onClick=${togglePause} aria-pressed=${paused}
        title="Pause live updates (p)">${paused ? `▶ Resume${buffer.current.length ? ` (${buffer.current.length})` : ""}` : "❚❚ Pause"}</button>
      ${missed.size ? html`<button type="button" class="link small" onClick=${() => setReload((n) => n + 1)}>
        ${missed.size} new or changed ${missed.size === 1 ? "run" : "runs"} · show</button>` : null}
    </div>
    <${Filters} filters=${filters} />
    ${error && !rows.length
      ? html`<${ErrorState} error=${error} retry=${() => setReload((n) => n + 1)} />`
      : loading && !rows.length
        ? html`<${Loading} label="Loading runs…" />`
        : !rows.length
          ? html`<${NoRuns} filtered=${isFiltered(filters)} />`
          : html`<${RunTable} rows=${rows} />`}
    ${error && rows.length ? html`<${ErrorState} error=${error} />` : null}
    <div ref=${sentinel} class="sentinel">
      ${state.more ? html`<button type="button" onClick=${loadMore} disabled=${state.loadingMore}>
        ${state.loadingMore ? "Loading…" : "Load more"}</button>` : rows.length ? html`<p class="muted small">${rows.length} ${rows.length === 1 ? "run" : "runs"} · end of list</p>` : null}
    </div>
  </section>`;
}

function moveFocus(step) {
  const rows = [...document.querySelectorAll("tr[data-run]")];
  if (!rows.length) return;
  const at = rows.indexOf(document.activeElement);
  const next = rows[Math.max(0, Math.min(rows.length - 1, at < 0 ? 0 : at + step))];
  next.focus();
}

function RunTable({ rows }) {
  return html`<table class="grid runs" aria-label="Runs">
    <thead><tr>
      <th scope="col">Status</th><th scope="col">Run</th><th scope="col">Agent</th><th scope="col">Name</th>
      <th scope="col" class="num">Duration</th><th scope="col" class="num">Actions</th>
      <th scope="col" class="num">Cost</th><th scope="col" class="num">Success</th>
      <th scope="col">Started</th><th scope="col">Ended</th>
    </tr></thead>
    <tbody>${rows.map((run) => html`<${RunRow} key=${run.id} run=${run} />`)}</tbody>
  </table>`;
}

function NoRuns({ filtered }) {
  if (filtered) {
    return html`<${Empty} title="No runs match these filters">
      <p><${Link} href=${withQuery({ status: null, minCost: null, window: null, agent: null, q: null })}>Clear the filters<//></p>
    <//>`;
  }
  const host = location.hostname;
  return html`<${Empty} title="No runs yet">
    <p>Point your agent's OpenTelemetry exporter at this runlens (the ports are the ones <code>runlens serve</code> printed):</p>
    <pre class="raw">OTEL_EXPORTER_OTLP_ENDPOINT=http://${host}:4317          # OTLP/gRPC
OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf
OTEL_EXPORTER_OTLP_ENDPOINT=http://${host}:4318          # OTLP/HTTP</pre>
    <p>Or send a dozen example runs: <code>runlens demo</code>. They appear here as they arrive.</p>
  <//>`;
}

export { navigate };
