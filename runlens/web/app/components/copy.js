import { useState } from "preact/hooks";
import { html } from "../html.js";

/** Copy `text` to the clipboard; says "Copied" for a moment. `label` names it for screen readers. */
export function CopyButton({ text, label = "Copy", children }) {
  const [done, setDone] = useState(null);
  const copy = async (event) => {
    event.stopPropagation();
    try {
      await navigator.clipboard.writeText(typeof text === "function" ? text() : text);
      setDone("Copied");
    } catch {
      setDone("Copy failed");
    }
    setTimeout(() => setDone(null), 1500);
  };
  return html`<button type="button" class="copy" onClick=${copy} aria-label=${label} title=${label}>
    ${done || children || html`<svg class="icon-svg" viewBox="0 0 16 16" aria-hidden="true"><rect x="5" y="5" width="9" height="9" rx="1.5"/><path d="M11 3.5V3a1 1 0 0 0-1-1H3a1 1 0 0 0-1 1v7a1 1 0 0 0 1 1h.5"/></svg>`}
  </button>`;
}
