// What an LLM call saw, in order, a page at a time; items new since the previous call marked.
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { query } from "../client.js";
import { ErrorState, Loading } from "../components/states.js";

const PAGE = 20;
const PREVIEW = 600;
const CONTEXT = `query Context($run: ID!, $id: ID!, $first: Int, $after: String) { run(id: $run) { id event(id: $id) {
  id ... on LlmCall { context(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { role kind content isNew } } } }
} } }`;

export function ContextItems({ runId, eventId }) {
  const [cursors, setCursors] = useState([null]); // the `after` of each page seen so far
  const [state, setState] = useState({ page: null, error: null });
  const after = cursors[cursors.length - 1];
  useEffect(() => setCursors([null]), [eventId]);
  useEffect(() => {
    const abort = new AbortController();
    query(CONTEXT, { run: runId, id: eventId, first: PAGE, after }, { signal: abort.signal })
      .then((data) => setState({ page: data.run?.event?.context, error: null }))
      .catch((error) => error.name !== "AbortError" && setState({ page: null, error }));
    return () => abort.abort();
  }, [eventId, after]);
  if (state.error) return html`<${ErrorState} error=${state.error} />`;
  if (!state.page) return html`<${Loading} label="Loading the context…" />`;
  const { totalCount, pageInfo, edges } = state.page;
  if (!totalCount) return html`<p class="muted">No context items were recorded.</p>`;
  const pages = Math.ceil(totalCount / PAGE);
  const number = cursors.length;
  const fresh = edges.filter((e) => e.node.isNew).length;
  return html`<div class="context">
    <div class="context-bar small">
      <span>${totalCount} items · page ${number}/${pages}</span>
      <span class="legend"><span class="new-dot" aria-hidden="true"></span> new since the previous call${fresh ? ` (${fresh} here)` : ""}</span>
      <span class="spacer"></span>
      <button type="button" disabled=${number === 1} onClick=${() => setCursors(cursors.slice(0, -1))}>‹ Previous</button>
      <button type="button" disabled=${!pageInfo.hasNextPage} onClick=${() => setCursors([...cursors, pageInfo.endCursor])}>Next ›</button>
    </div>
    <ol class="context-items" start=${(number - 1) * PAGE + 1}>
      ${edges.map(({ node }, i) => html`<${ContextItem} key=${`${after}:${i}`} item=${node} />`)}
    </ol>
  </div>`;
}

function ContextItem({ item }) {
  const [open, setOpen] = useState(false);
  const long = item.content.length > PREVIEW;
  return html`<li class=${`context-item ${item.isNew ? "is-new" : ""}`} data-new=${item.isNew}>
    <div class="context-head">
      <span class="ctx-kind">${item.kind.replace("_", " ")}</span>
      <span class="muted">${item.role}</span>
      ${item.isNew ? html`<span class="badge tone-info">new</span>` : null}
    </div>
    <div class="context-content">${long && !open ? `${item.content.slice(0, PREVIEW)}…` : item.content}</div>
    ${long ? html`<button type="button" class="link small" onClick=${() => setOpen(!open)}>${open ? "less" : "all of it"}</button>` : null}
  </li>`;
}
