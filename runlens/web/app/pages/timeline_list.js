// The Timeline's event list: a windowed list (only the rows in view and a margin are in the
// DOM, so a run of 10,000 events scrolls like one of 10) over pages read as they come into
// view, one row per event with its type's icon and colour, label, status, start time and
// duration.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { html } from "../html.js";
import { formatDuration, formatExact, toMillis } from "../format.js";
import { now } from "../clock.js";

const ROW = 30;
const MARGIN = 10;
const READ_DELAY_MS = 120;

export const TYPES = [
  { kind: "MESSAGE", label: "Message" },
  { kind: "LLM_CALL", label: "LLM Call" },
  { kind: "TOOL_EXECUTION", label: "Tool" },
  { kind: "SUMMARIZATION", label: "Summarization" },
  { kind: "OTHER", label: "Other" },
];
export const EVENT_STATUSES = ["RUNNING", "FINISHED", "FAILED", "TERMINATED"];

const ICONS = { MESSAGE: "✉", LLM_CALL: "✦", TOOL_EXECUTION: "⚒", SUMMARIZATION: "≡", AGENT: "◆" };
const STATUS = {
  RUNNING: { icon: "●", tone: "running" },
  FINISHED: { icon: "✓", tone: "ok" },
  FAILED: { icon: "✕", tone: "bad" },
  TERMINATED: { icon: "■", tone: "muted" },
};

/** "LLM Call", the tool's name, "Message • user", or the span's name. */
export function eventLabel(event) {
  if (event.kind === "LLM_CALL") return event.model ? `LLM Call · ${event.model}` : "LLM Call";
  if (event.kind === "TOOL_EXECUTION") return event.toolName || event.name;
  if (event.kind === "MESSAGE") return `Message • ${event.role || "message"}`;
  if (event.kind === "SUMMARIZATION") return "Summarization";
  return event.name;
}

export function EventStatus({ status }) {
  const spec = STATUS[status] || { icon: "?", tone: "muted" };
  return html`<span class=${`ev-status tone-${spec.tone}`} title=${status}>
    <span class="badge-icon" aria-hidden="true">${spec.icon}</span>${(status || "").toLowerCase()}
  </span>`;
}

export function eventDuration(event) {
  if (event.durationMs !== null && event.durationMs !== undefined) return formatDuration(event.durationMs);
  const start = toMillis(event.startedAt);
  return event.status === "RUNNING" && start ? formatDuration(Math.max(now.value - start, 0)) : "—";
}

function clock(iso) {
  return formatExact(iso).slice(11, 23);
}

function EventRow({ event, selected, onSelect, top }) {
  const kind = (event.kind || "OTHER").toLowerCase();
  return html`<div role="option" aria-selected=${selected} data-id=${event.id} data-kind=${event.kind} data-status=${event.status}
      class=${`ev-row ev-${kind} ${selected ? "selected" : ""}`} style=${{ top: `${top}px` }}
      onClick=${() => onSelect(event)}>
    <span class="ev-icon" aria-hidden="true">${ICONS[event.kind] || "○"}</span>
    <span class="ev-label">${eventLabel(event)}</span>
    <${EventStatus} status=${event.status} />
    <time class="ev-time mono" title=${formatExact(event.startedAt)}>${clock(event.startedAt)}</time>
    <span class="ev-dur num">${eventDuration(event)}</span>
  </div>`;
}

/**
 * The list of `pages` (EventPages: `total` positions, read page by page): the rows in view and
 * a margin; positions whose page is not read yet show a placeholder while it is read. The
 * selected row is kept in view.
 */
export function EventList({ pages, selected, onSelect }) {
  const box = useRef(null);
  const [view, setView] = useState({ top: 0, height: 600 });
  useLayoutEffect(() => {
    const el = box.current;
    const measure = () => setView({ top: el.scrollTop, height: el.clientHeight });
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  const total = pages.total ?? 0;
  const index = pages.indexOf(selected);
  useEffect(() => {
    const el = box.current;
    if (index < 0 || !el) return;
    const top = index * ROW;
    const far = top < el.scrollTop - 2 * ROW || top > el.scrollTop + el.clientHeight + ROW;
    if (far) el.scrollTop = top - (el.clientHeight - ROW) / 2; // a jump (a link): in the middle
    else if (top < el.scrollTop) el.scrollTop = top; // a step: just into view
    else if (top + ROW > el.scrollTop + el.clientHeight) el.scrollTop = top + ROW - el.clientHeight;
  }, [selected, index]);
  const first = Math.max(Math.floor(view.top / ROW) - MARGIN, 0);
  const last = Math.min(Math.ceil((view.top + view.height) / ROW) + MARGIN, total);
  useEffect(() => {
    // Read the pages in view once scrolling rests (a fling across the list reads no page on the way).
    const timer = setTimeout(() => pages.ensure(first, last), READ_DELAY_MS);
    return () => clearTimeout(timer);
  }, [pages, first, last]);
  const rows = [];
  for (let i = first; i < last; i += 1) {
    const event = pages.at(i);
    rows.push(
      event
        ? html`<${EventRow} key=${event.id} event=${event} top=${i * ROW} selected=${event.id === selected} onSelect=${onSelect} />`
        : html`<div key=${`hole-${i}`} class="ev-hole" style=${{ top: `${i * ROW}px` }} aria-hidden="true"><span></span></div>`,
    );
  }
  return html`<div class="ev-list" ref=${box} role="listbox" aria-label="Events" tabindex="0" aria-busy=${pages.pending.size > 0}
      onScroll=${(e) => setView({ top: e.currentTarget.scrollTop, height: e.currentTarget.clientHeight })}>
    <div class="ev-space" style=${{ height: `${total * ROW}px` }}>${rows}</div>
  </div>`;
}
