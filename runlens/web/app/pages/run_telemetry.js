// The Telemetry tab: the run's actions in order, searchable (name or content) and filtered by
// outcome on the server, expandable to their input and output, with the operation inspector.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../html.js";
import { here, navigate, withQuery, Link } from "../router.js";
import { query, subscribe } from "../client.js";
import { EVENT_FIELDS } from "../fragments.js";
import { useShortcuts } from "../keys.js";
import { formatCost, formatDuration, formatExact } from "../format.js";
import { KindIcon, OutcomeBadge } from "../components/status.js";
import { JsonView } from "../components/json.js";
import { Loading, ErrorState, Empty } from "../components/states.js";
import { Inspector } from "./run_inspector.js";

const PAGE = 100;
const KINDS = "[LLM_CALL, TOOL_EXECUTION, SUMMARIZATION, MESSAGE, RETRIEVAL, EMBEDDING, OTHER]";
const EVENTS = `query Events($id: ID!, $search: String, $outcomes: [EventOutcome!], $first: Int, $after: String) {
  run(id: $id) { events(kinds: ${KINDS}, search: $search, outcomes: $outcomes, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { ${EVENT_FIELDS} input output attributes } }
  } }
}`;
const CHANGES = `subscription Changes($id: ID!) { runEventBatches(runId: $id) { sequence } }`;
const OUTCOMES = ["SUCCESS", "ERROR", "BLOCKED", "REPLAYED"];

export function Telemetry({ run }) {
  const q = here.value.query;
  const search = q.get("q") || "";
  const outcome = OUTCOMES.includes(q.get("outcome")) ? q.get("outcome") : "";
  const selected = q.get("event");
  const [text, setText] = useState(search);
  const [state, setState] = useState({ events: [], total: 0, cursor: null, more: false, loading: true, error: null });
  const [openAll, setOpenAll] = useState(0);
  const [refresh, setRefresh] = useState(0);
  const searchBox = useRef(null);
  const loaded = useRef(PAGE);
  loaded.current = Math.max(PAGE, state.events.length);

  const variables = (first, after) => ({ id: run.id, search: search || null, outcomes: outcome ? [outcome] : null, first, after });

  useEffect(() => {
    const abort = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    query(EVENTS, variables(Math.min(loaded.current, 200), null), { signal: abort.signal })
      .then(({ run: r }) => setState({
        events: r.events.edges.map((e) => e.node),
        total: r.events.totalCount,
        cursor: r.events.pageInfo.endCursor,
        more: r.events.pageInfo.hasNextPage,
        loading: false,
        error: null,
      }))
      .catch((error) => error.name !== "AbortError" && setState((s) => ({ ...s, loading: false, error })));
    return () => abort.abort();
  }, [run.id, search, outcome, refresh]);

  // While the run runs, every stored change re-reads the loaded actions (at most twice a second).
  const running = run.status === "RUNNING";
  useEffect(() => {
    if (!running) return undefined;
    let timer = 0;
    const stop = subscribe(CHANGES, { id: run.id }, {
      next: () => {
        if (!timer) timer = setTimeout(() => { timer = 0; setRefresh((n) => n + 1); }, 500);
      },
    });
    return () => {
      stop();
      clearTimeout(timer);
    };
  }, [run.id, running]);
  // Once a running run has ended, read the final state of its actions.
  const wasRunning = useRef(false);
  useEffect(() => {
    if (wasRunning.current && !running) setRefresh((n) => n + 1);
    wasRunning.current = running;
  }, [running]);

  const timer = useRef(0);
  const onSearch = (event) => {
    setText(event.currentTarget.value);
    clearTimeout(timer.current);
    const value = event.currentTarget.value.trim();
    timer.current = setTimeout(() => navigate(withQuery({ q: value }), { replace: true }), 250);
  };
  const select = (spanId) => navigate(withQuery({ event: spanId }), { replace: true });

  const loadMore = async () => {
    const page = await query(EVENTS, variables(PAGE, state.cursor));
    setState((s) => ({
      ...s,
      events: [...s.events, ...page.run.events.edges.map((e) => e.node)],
      cursor: page.run.events.pageInfo.endCursor,
      more: page.run.events.pageInfo.hasNextPage,
    }));
  };

  useShortcuts([
    { key: "/", description: "search the run's actions", handler: () => searchBox.current?.focus() },
    { key: "Escape", description: "close the inspector", handler: () => select(null) },
    { key: "e", description: "expand or collapse all", handler: () => setOpenAll((n) => (n > 0 ? -1 : Math.abs(n) + 1)) },
  ]);

  const inspected = state.events.find((e) => e.spanId === selected);
  return html`<div class=${inspected ? "telemetry with-inspector" : "telemetry"}>
    <div class="telemetry-main">
      <div class="toolbar" role="search">
        <input ref=${searchBox} type="search" class="search" aria-label="Search actions by name or content"
          placeholder="Search name or content  ( / )" value=${text} onInput=${onSearch} />
        <label class="field">Outcome
          <select aria-label="Outcome" value=${outcome} onChange=${(e) => navigate(withQuery({ outcome: e.currentTarget.value }), { replace: true })}>
            <option value="">any</option>
            ${OUTCOMES.map((o) => html`<option value=${o}>${o.toLowerCase()}</option>`)}
          </select>
        </label>
        <button type="button" onClick=${() => setOpenAll((n) => (n > 0 ? -(n + 1) : Math.abs(n) + 1))} aria-pressed=${openAll > 0}>
          ${openAll > 0 ? "Collapse all" : "Expand all"}</button>
        <span class="muted small">${state.total} ${state.total === 1 ? "action" : "actions"}</span>
        <span class="spacer"></span>
        <${Link} href=${`/runs/${encodeURIComponent(run.id)}/timeline`}>Open the Timeline ›<//>
      </div>
      ${state.error ? html`<${ErrorState} error=${state.error} retry=${() => setRefresh((n) => n + 1)} />`
        : state.loading && !state.events.length ? html`<${Loading} label="Loading actions…" />`
        : !state.events.length ? html`<${Empty} title=${search || outcome ? "No action matches" : "No actions yet"}>
            <p class="muted">${search || outcome ? "Change the search or the outcome filter." : running ? "Actions appear here as they complete." : "This run recorded no action."}</p><//>`
        : html`<ol class="actions" aria-label="Actions">
            ${state.events.map((event) => html`<${ActionItem} key=${event.spanId} event=${event} openAll=${openAll}
              selected=${event.spanId === selected} onInspect=${() => select(event.spanId)} />`)}
          </ol>`}
      ${state.more ? html`<p class="sentinel"><button type="button" onClick=${loadMore}>Load more actions</button></p>` : null}
    </div>
    ${inspected ? html`<${Inspector} event=${inspected} onClose=${() => select(null)} />` : null}
  </div>`;
}

function ActionItem({ event, openAll, selected, onInspect }) {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    if (openAll > 0) setOpen(true);
    if (openAll < 0) setOpen(false);
  }, [openAll]);
  const detail = event.model || event.toolName || "";
  return html`<li class=${selected ? "action selected" : "action"} data-span=${event.spanId}>
    <div class="action-head">
      <button type="button" class="j-toggle" aria-expanded=${open} aria-label=${`${open ? "Collapse" : "Expand"} ${event.name}`}
        onClick=${() => setOpen(!open)}><span aria-hidden="true">${open ? "▾" : "▸"}</span></button>
      <span class="seq muted">${event.sequence}</span>
      <${KindIcon} kind=${event.kind} />
      <button type="button" class="action-name" onClick=${onInspect} title="Open in the inspector">${event.name}</button>
      ${detail && detail !== event.name ? html`<span class="muted small">${detail}</span>` : null}
      <${OutcomeBadge} outcome=${event.outcome} />
      ${event.redactions ? html`<span class="badge tone-warn" title=${`Redacted before storage: ${event.redactedKinds.join(", ")}`}>
        <span aria-hidden="true">▮</span>${event.redactions} redacted</span>` : null}
      <span class="spacer"></span>
      <span class="num">${formatDuration(event.durationMs)}</span>
      <span class="num cost">${event.costUsd === null ? "" : formatCost(event.costUsd)}</span>
      <time class="small muted" datetime=${event.startedAt}>${formatExact(event.startedAt).slice(11)}</time>
    </div>
    ${event.error ? html`<p class="action-error"><strong>${event.error.type}</strong> ${event.error.message}</p>` : null}
    ${open ? html`<div class="io">
      <div><h3>Input</h3><${JsonView} value=${event.input} binary=${event.binary} label="input" openAll=${openAll} filename=${`${event.spanId}-input.json`} /></div>
      <div><h3>Output</h3><${JsonView} value=${event.output} binary=${event.binary} label="output" openAll=${openAll} filename=${`${event.spanId}-output.json`} /></div>
    </div>` : null}
  </li>`;
}
