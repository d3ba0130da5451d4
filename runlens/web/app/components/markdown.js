// Markdown rendered with marked and sanitized with DOMPurify, with a raw toggle.
import { useMemo, useState } from "preact/hooks";
import { marked } from "marked";
import DOMPurify from "dompurify";
import { html } from "../html.js";

export function renderMarkdown(text) {
  return DOMPurify.sanitize(marked.parse(text || "", { async: false, gfm: true, breaks: true }));
}

export function Markdown({ text }) {
  const [raw, setRaw] = useState(false);
  const rendered = useMemo(() => (raw ? null : renderMarkdown(text)), [text, raw]);
  return html`<div class="markdown-block">
    <button type="button" class="link small" onClick=${() => setRaw(!raw)} aria-pressed=${raw}>
      ${raw ? "rendered" : "raw"}
    </button>
    ${raw
      ? html`<pre class="raw">${text}</pre>`
      : html`<div class="markdown" dangerouslySetInnerHTML=${{ __html: rendered }}></div>`}
  </div>`;
}
