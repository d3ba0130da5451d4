// The Runs page's filters, held in the URL: ?status=FAILED,RUNNING&minCost=0.01&window=7d
// &agent=ID&q=text&sort=cost&dir=asc. Typing replaces the history entry; choices push one.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../html.js";
import { here, navigate, withQuery } from "../router.js";
import { query, downloadExport } from "../client.js";
import { STATUSES, WINDOWS } from "../fragments.js";
import { useShortcuts } from "../keys.js";

/** The filters of `location` as one object. */
export function readFilters(loc = here.value) {
  const q = loc.query;
  const statuses = (q.get("status") || "").split(",").filter((s) => STATUSES.includes(s));
  const minCost = Number.parseFloat(q.get("minCost") || "");
  return {
    statuses,
    minCost: Number.isFinite(minCost) && minCost >= 0 ? minCost : null,
    window: WINDOWS[q.get("window")] ? q.get("window") : "all",
    agent: q.get("agent") || null,
    search: q.get("q") || "",
    sort: q.get("sort") === "cost" ? "cost" : "started",
    dir: q.get("dir") === "asc" ? "asc" : "desc",
  };
}

export function filterVariables(f) {
  return {
    filter: {
      status: f.statuses.length ? f.statuses : null,
      minCostUsd: f.minCost,
      window: WINDOWS[f.window],
      agentId: f.agent,
      search: f.search || null,
    },
    sort: { field: f.sort === "cost" ? "COST" : "STARTED_AT", direction: f.dir.toUpperCase() },
  };
}

export function exportParams(f, format) {
  const p = new URLSearchParams({ format, window: WINDOWS[f.window] });
  if (f.statuses.length) p.set("status", f.statuses.join(","));
  if (f.minCost !== null) p.set("minCostUsd", String(f.minCost));
  if (f.agent) p.set("agentId", f.agent);
  if (f.search) p.set("search", f.search);
  p.set("sort", f.sort === "cost" ? "COST" : "STARTED_AT");
  p.set("direction", f.dir.toUpperCase());
  return p;
}

export function isFiltered(f) {
  return f.statuses.length > 0 || f.minCost !== null || f.window !== "all" || !!f.agent || !!f.search;
}

function set(changes, replace = false) {
  navigate(withQuery(changes), { replace });
}

/** A text field that writes to the URL 250 ms after the last keystroke. */
function useDebouncedParam(name, value) {
  const [text, setText] = useState(value);
  const timer = useRef(0);
  useEffect(() => setText(value), [value]);
  const onInput = (event) => {
    const next = event.currentTarget.value;
    setText(next);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => set({ [name]: next.trim() }, true), 250);
  };
  return [text, onInput];
}

export function Filters({ filters }) {
  const search = useRef(null);
  const [text, onSearch] = useDebouncedParam("q", filters.search);
  const [cost, onCost] = useDebouncedParam("minCost", filters.minCost ?? "");
  useShortcuts([{ key: "/", description: "focus search", handler: () => search.current?.focus() }]);
  const toggleStatus = (status) => {
    const on = filters.statuses.includes(status);
    const next = on ? filters.statuses.filter((s) => s !== status) : [...filters.statuses, status];
    set({ status: next.join(",") });
  };
  return html`<form class="filters" role="search" onSubmit=${(e) => e.preventDefault()}>
    <fieldset class="chips">
      <legend class="sr-only">Status</legend>
      ${STATUSES.map((s) => html`<label class="chip">
        <input type="checkbox" checked=${filters.statuses.includes(s)} onChange=${() => toggleStatus(s)} />
        ${s[0] + s.slice(1).toLowerCase()}
      </label>`)}
    </fieldset>
    <label class="field">Min cost $
      <input type="number" min="0" step="0.001" inputmode="decimal" class="num" value=${cost}
        onInput=${onCost} aria-label="Minimum cost in USD" />
    </label>
    <fieldset class="segmented">
      <legend class="sr-only">Time window</legend>
      ${Object.keys(WINDOWS).map((w) => html`<label class=${filters.window === w ? "on" : ""}>
        <input type="radio" name="window" value=${w} checked=${filters.window === w}
          onChange=${() => set({ window: w === "all" ? null : w })} />${w}
      </label>`)}
    </fieldset>
    <${AgentPicker} agent=${filters.agent} />
    <input ref=${search} type="search" class="search" placeholder="Search id, name, agent  ( / )"
      aria-label="Search runs" value=${text} onInput=${onSearch} />
    <label class="field">Sort
      <select aria-label="Sort" value=${`${filters.sort}:${filters.dir}`}
        onChange=${(e) => {
          const [sort, dir] = e.currentTarget.value.split(":");
          set({ sort: sort === "started" ? null : sort, dir: dir === "desc" ? null : dir });
        }}>
        <option value="started:desc">Newest first</option>
        <option value="started:asc">Oldest first</option>
        <option value="cost:desc">Most expensive</option>
        <option value="cost:asc">Cheapest</option>
      </select>
    </label>
    <${ExportMenu} filters=${filters} />
  </form>`;
}

/** Agent filter: type to search the project's agents (`agents(search)`), pick one. */
function AgentPicker({ agent }) {
  const [text, setText] = useState(agent || "");
  const [options, setOptions] = useState([]);
  useEffect(() => setText(agent || ""), [agent]);
  useEffect(() => {
    const abort = new AbortController();
    const timer = setTimeout(() => {
      query(`query Agents($search: String) { agents(search: $search, first: 20) { id name runCount } }`,
        { search: text || null }, { signal: abort.signal })
        .then((data) => setOptions(data.agents))
        .catch(() => {});
    }, 150);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [text]);
  const commit = (value) => {
    const chosen = value.trim();
    if (chosen === (agent || "")) return;
    if (!chosen || options.some((o) => o.id === chosen)) set({ agent: chosen || null });
  };
  return html`<label class="field">Agent
    <input list="agent-options" class="agent" placeholder="any" value=${text} aria-label="Agent"
      onInput=${(e) => {
        setText(e.currentTarget.value);
        commit(e.currentTarget.value);
      }}
      onChange=${(e) => commit(e.currentTarget.value)} />
    <datalist id="agent-options">
      ${options.map((o) => html`<option value=${o.id}>${o.name !== o.id ? `${o.name} · ` : ""}${o.runCount} runs</option>`)}
    </datalist>
    ${agent ? html`<button type="button" class="icon small" aria-label="Clear agent filter" onClick=${() => set({ agent: null })}>✕</button>` : null}
  </label>`;
}

function ExportMenu({ filters }) {
  const [format, setFormat] = useState("csv");
  const [state, setState] = useState(null);
  const run = async () => {
    setState("Exporting…");
    try {
      const name = await downloadExport(exportParams(filters, format));
      setState(`Saved ${name}`);
    } catch (err) {
      setState(err.message);
    }
  };
  return html`<span class="export">
    <select aria-label="Export format" value=${format} onChange=${(e) => setFormat(e.currentTarget.value)}>
      <option value="csv">CSV</option><option value="json">JSON</option><option value="jsonl">JSONL</option>
    </select>
    <button type="button" onClick=${run}>Export</button>
    ${state ? html`<span class="muted small" role="status">${state}</span>` : null}
  </span>`;
}
