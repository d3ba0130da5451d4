// A JSON viewer that stays fast on large payloads: nodes render their children only when
// opened (200 at a time), long strings show a preview, a payload past TREE_LIMIT bytes starts
// as a notice with raw (first RAW_LIMIT bytes) and download instead of a tree, binary-looking
// strings are flagged and not rendered, and `[REDACTED:rule]` markers are highlighted.
import { useEffect, useMemo, useState } from "preact/hooks";
import { html } from "../html.js";
import { formatBytes } from "../format.js";
import { saveBlob } from "../client.js";
import { CopyButton } from "./copy.js";

export const TREE_LIMIT = 1_000_000;
export const RAW_LIMIT = 64 * 1024;
const STRING_PREVIEW = 400;
const STRING_LIMIT = 20_000;
const PAGE = 200;
const REDACTED = /\[REDACTED:[^\]]+\]/g;
const BASE64 = /^[A-Za-z0-9+/\s]+=*$/;

/** The JSON text of `value` (strings as they are). */
export function jsonText(value) {
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

/** Not text a person can read: NUL/control characters or U+FFFD replacements. */
export function looksBinary(text) {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000e-\u001f\ufffd]/.test(text.slice(0, 4096));
}

/**
 * `value`: any JSON. `openAll`: a counter; when it changes to a positive value every node of a
 * tree under TREE_LIMIT opens, to a negative one every node closes ("expand all").
 */
export function JsonView({ value, label = "value", openAll = 0, filename = "payload.json", binary = false }) {
  const text = useMemo(() => (value === undefined ? "" : jsonText(value)), [value]);
  const size = text.length;
  const [mode, setMode] = useState(size > TREE_LIMIT ? "gated" : "tree");
  useEffect(() => setMode(size > TREE_LIMIT ? "gated" : "tree"), [value]);
  if (value === null || value === undefined) return html`<span class="j-null">none</span>`;
  if (binary && typeof value === "string" && BASE64.test(value.slice(0, 4096))) {
    const bytes = Math.floor((value.replace(/[\s=]/g, "").length * 3) / 4);
    return html`<div class="json"><span class="binary" role="note">Binary content · ${formatBytes(bytes)} (base64) — not rendered</span>
      ${" "}<button type="button" class="link small" onClick=${() => saveBlob(new Blob([text], { type: "text/plain" }), `${filename}.b64`)}>Download</button></div>`;
  }
  const download = () => saveBlob(new Blob([text], { type: "application/json" }), filename);
  const tools = html`<span class="json-tools">
    <${CopyButton} text=${text} label=${`Copy ${label} JSON`}>Copy JSON<//>
    ${size > STRING_LIMIT ? html`<button type="button" class="link small" onClick=${download}>Download</button>` : null}
  </span>`;
  if (mode === "gated") {
    return html`<div class="json gated">
      <p><strong>Large payload</strong> · ${formatBytes(size)} — shown on demand to keep the page responsive.</p>
      <button type="button" onClick=${() => setMode("raw")}>Raw (first ${formatBytes(RAW_LIMIT)})</button>
      <button type="button" onClick=${() => setMode("tree")}>Tree</button>
      <button type="button" onClick=${download}>Download</button>
      ${tools}
    </div>`;
  }
  if (mode === "raw") {
    return html`<div class="json">
      ${tools}<button type="button" class="link small" onClick=${() => setMode("tree")}>tree</button>
      <pre class="raw">${text.slice(0, RAW_LIMIT)}</pre>
      ${size > RAW_LIMIT ? html`<p class="muted">Showing ${formatBytes(RAW_LIMIT)} of ${formatBytes(size)}: download for the rest.</p>` : null}
    </div>`;
  }
  return html`<div class="json">
    ${tools}
    <${Node} value=${value} depth=${0} openAll=${size > TREE_LIMIT ? 0 : openAll} root=${true} />
  </div>`;
}

function Node({ name, value, depth, openAll, root = false }) {
  const key = name === undefined ? null : html`<span class="j-key">${name}</span>: `;
  if (value === null) return html`<div class="j-row">${key}<span class="j-null">null</span></div>`;
  if (typeof value === "string") return html`<div class="j-row">${key}<${Str} text=${value} /></div>`;
  if (typeof value !== "object") {
    return html`<div class="j-row">${key}<span class=${`j-${typeof value}`}>${String(value)}</span></div>`;
  }
  return html`<${Branch} name=${name} value=${value} depth=${depth} openAll=${openAll} root=${root} />`;
}

function Branch({ name, value, depth, openAll, root }) {
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  const [open, setOpen] = useState(root && entries.length <= 50);
  const [shown, setShown] = useState(PAGE);
  useEffect(() => {
    if (openAll > 0) setOpen(true);
    if (openAll < 0) setOpen(root);
  }, [openAll]);
  const brackets = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  const n = entries.length;
  const count = Array.isArray(value) ? `${n} ${n === 1 ? "item" : "items"}` : `${n} ${n === 1 ? "key" : "keys"}`;
  return html`<div class="j-branch">
    <button type="button" class="j-toggle" aria-expanded=${open} onClick=${() => setOpen(!open)}>
      <span aria-hidden="true">${open ? "▾" : "▸"}</span>
      ${name !== undefined ? html`<span class="j-key">${name}</span>: ` : null}${brackets[0]}${open ? "" : `…${brackets[1]}`}
      <span class="muted small"> ${count}</span>
    </button>
    ${open
      ? html`<div class="j-children">
          ${entries.slice(0, shown).map(([k, v]) => html`<${Node} key=${k} name=${k} value=${v} depth=${depth + 1} openAll=${openAll} />`)}
          ${entries.length > shown
            ? html`<button type="button" class="link small" onClick=${() => setShown(shown + PAGE)}>
                show ${Math.min(PAGE, entries.length - shown)} more of ${entries.length - shown}
              </button>`
            : null}
          <span>${brackets[1]}</span>
        </div>`
      : null}
  </div>`;
}

function Str({ text }) {
  const [full, setFull] = useState(false);
  if (looksBinary(text)) {
    return html`<span class="binary" title="Binary content is not rendered">binary content · ${formatBytes(text.length)}</span>`;
  }
  const long = text.length > STRING_PREVIEW;
  const shown = full ? text.slice(0, STRING_LIMIT) : long ? text.slice(0, STRING_PREVIEW) : text;
  return html`<span class="j-string">"${marked(shown)}${long && !full ? "…" : ""}"</span>${long
      ? html` <button type="button" class="link small" onClick=${() => setFull(!full)}>
          ${full ? "less" : `${formatBytes(text.length)} · more`}
        </button>${full && text.length > STRING_LIMIT ? html`<span class="muted small"> (first ${formatBytes(STRING_LIMIT)}; copy or download for all)</span>` : null}`
      : null}`;
}

/** The text with each `[REDACTED:rule]` marker in a <mark>. */
function marked(text) {
  if (!text.includes("[REDACTED:")) return text;
  const parts = [];
  let last = 0;
  for (const m of text.matchAll(REDACTED)) {
    parts.push(text.slice(last, m.index));
    parts.push(html`<mark class="redacted" title="Redacted before storage">${m[0]}</mark>`);
    last = m.index + m[0].length;
  }
  parts.push(text.slice(last));
  return parts;
}
