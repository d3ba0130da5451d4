// The activity ledger: one table of actions across runs (`actions`), filtered by outcome, kind,
// agent, time window and text, all in the URL; each row links to its run.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../html.js";
import { here, navigate, withQuery, Link } from "../router.js";
import { query } from "../client.js";
import { WINDOWS } from "../fragments.js";
import { useShortcuts } from "../keys.js";
import { formatCost, formatDuration, shortId } from "../format.js";
import { KindIcon, OutcomeBadge } from "../components/status.js";
import { Loading, ErrorState, Empty } from "../components/states.js";
import { When } from "./run_row.js";

const PAGE = 100;
const ACTIONS = `query Activity($filter: ActionFilter, $first: Int, $after: String) {
  actions(filter: $filter, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id spanId name kind outcome startedAt durationMs costUsd model toolName
      error { type message } run { id status agent { id name } } } }
  }
}`;
const OUTCOMES = ["SUCCESS", "ERROR", "BLOCKED", "REPLAYED"];
const KINDS = { LLM_CALL: "LLM calls", TOOL_EXECUTION: "Tools" };

function readFilters(q) {
  return {
    outcome: OUTCOMES.includes(q.get("outcome")) ? q.get("outcome") : "",
    kind: KINDS[q.get("kind")] ? q.get("kind") : "",
    agent: q.get("agent") || "",
    window: WINDOWS[q.get("window")] ? q.get("window") : "all",
    search: q.get("q") || "",
  };
}

export function ActivityPage() {
  const f = readFilters(here.value.query);
  const key = JSON.stringify(f);
  const [state, setState] = useState({ rows: [], cursor: null, more: false, loading: true, error: null });
  const [text, setText] = useState(f.search);
  const [agentText, setAgentText] = useState(f.agent);
  const [reload, setReload] = useState(0);
  const searchBox = useRef(null);
  const timer = useRef(0);
  const filter = {
    outcomes: f.outcome ? [f.outcome] : null,
    kinds: f.kind ? [f.kind] : null,
    agentId: f.agent || null,
    window: WINDOWS[f.window],
    search: f.search || null,
  };

  useEffect(() => {
    const abort = new AbortController();
    setState((s) => ({ ...s, loading: true, error: null }));
    query(ACTIONS, { filter, first: PAGE }, { signal: abort.signal })
      .then(({ actions }) => setState({
        rows: actions.edges.map((e) => e.node),
        cursor: actions.pageInfo.endCursor,
        more: actions.pageInfo.hasNextPage,
        loading: false,
        error: null,
      }))
      .catch((error) => error.name !== "AbortError" && setState((s) => ({ ...s, loading: false, error })));
    return () => abort.abort();
  }, [key, reload]);

  const loadMore = async () => {
    try {
      const { actions } = await query(ACTIONS, { filter, first: PAGE, after: state.cursor });
      setState((s) => ({ ...s, rows: [...s.rows, ...actions.edges.map((e) => e.node)], cursor: actions.pageInfo.endCursor, more: actions.pageInfo.hasNextPage }));
    } catch (error) {
      setState((s) => ({ ...s, error }));
    }
  };
  const set = (changes, replace = false) => navigate(withQuery(changes), { replace });
  const typed = (name, setter) => (event) => {
    const value = event.currentTarget.value;
    setter(value);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => set({ [name]: value.trim() }, true), 250);
  };
  useShortcuts([{ key: "/", description: "focus search", handler: () => searchBox.current?.focus() }]);

  return html`<section aria-labelledby="activity-title">
    <div class="title-row"><h1 id="activity-title">Activity</h1>
      <span class="muted small">Every LLM call and tool execution, newest first</span></div>
    <form class="filters" role="search" onSubmit=${(e) => e.preventDefault()}>
      <label class="field">Outcome
        <select aria-label="Outcome" value=${f.outcome} onChange=${(e) => set({ outcome: e.currentTarget.value })}>
          <option value="">any</option>${OUTCOMES.map((o) => html`<option value=${o}>${o.toLowerCase()}</option>`)}
        </select></label>
      <label class="field">Kind
        <select aria-label="Kind" value=${f.kind} onChange=${(e) => set({ kind: e.currentTarget.value })}>
          <option value="">any</option>${Object.entries(KINDS).map(([k, label]) => html`<option value=${k}>${label}</option>`)}
        </select></label>
      <label class="field">Agent <input class="agent" aria-label="Agent" placeholder="agent id" value=${agentText} onInput=${typed("agent", setAgentText)} /></label>
      <fieldset class="segmented"><legend class="sr-only">Time window</legend>
        ${Object.keys(WINDOWS).map((w) => html`<label class=${f.window === w ? "on" : ""}>
          <input type="radio" name="activity-window" checked=${f.window === w} onChange=${() => set({ window: w === "all" ? null : w })} />${w}</label>`)}
      </fieldset>
      <input ref=${searchBox} type="search" class="search" aria-label="Search actions" placeholder="Search name, tool, content  ( / )"
        value=${text} onInput=${typed("q", setText)} />
    </form>
    ${state.error && !state.rows.length ? html`<${ErrorState} error=${state.error} retry=${() => setReload((n) => n + 1)} />`
      : state.loading && !state.rows.length ? html`<${Loading} label="Loading activity…" />`
      : !state.rows.length ? html`<${Empty} title="No actions match"><p class="muted">Actions appear here as agents send them.</p><//>`
      : html`<table class="grid" aria-label="Actions">
          <thead><tr><th>Outcome</th><th>Action</th><th>Run</th><th>Agent</th><th class="num">Duration</th><th class="num">Cost</th><th>Started</th></tr></thead>
          <tbody>${state.rows.map((a) => {
            const href = a.run ? `/runs/${encodeURIComponent(a.run.id)}?event=${a.spanId}` : null;
            return html`<tr key=${a.id + (a.run?.id || "")} onClick=${(e) => href && !e.target.closest("a") && navigate(href)}>
              <td><${OutcomeBadge} outcome=${a.outcome} /></td>
              <td><${KindIcon} kind=${a.kind} /> ${a.name}${a.error ? html` <span class="muted small" title=${a.error.message}>· ${a.error.type}</span>` : null}</td>
              <td class="mono">${a.run ? html`<${Link} href=${href}>${shortId(a.run.id)}<//>` : "—"}</td>
              <td>${a.run ? a.run.agent.name : "—"}</td>
              <td class="num">${formatDuration(a.durationMs)}</td>
              <td class="num">${a.costUsd === null ? "" : formatCost(a.costUsd)}</td>
              <td><${When} iso=${a.startedAt} /></td></tr>`;
          })}</tbody></table>`}
    ${state.more ? html`<p class="sentinel"><button type="button" onClick=${loadMore}>Load more</button></p>` : null}
  </section>`;
}
