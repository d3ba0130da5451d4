// Badges that never rely on colour alone: each carries a word and an icon.
import { html } from "../html.js";

const RUN = {
  RUNNING: { icon: "●", label: "Running", tone: "running" },
  COMPLETED: { icon: "✓", label: "Completed", tone: "ok" },
  FAILED: { icon: "✕", label: "Failed", tone: "bad" },
  TERMINATED: { icon: "■", label: "Terminated", tone: "muted" },
};

const OUTCOME = {
  SUCCESS: { icon: "✓", label: "success", tone: "ok" },
  ERROR: { icon: "✕", label: "error", tone: "bad" },
  BLOCKED: { icon: "⊘", label: "blocked", tone: "warn" },
  REPLAYED: { icon: "↺", label: "replayed", tone: "info" },
};

export const KINDS = {
  AGENT: { icon: "◆", label: "Agent" },
  LLM_CALL: { icon: "✦", label: "LLM call" },
  TOOL_EXECUTION: { icon: "⚒", label: "Tool" },
  SUMMARIZATION: { icon: "≡", label: "Summarization" },
  MESSAGE: { icon: "✉", label: "Message" },
  RETRIEVAL: { icon: "⌕", label: "Retrieval" },
  EMBEDDING: { icon: "⋯", label: "Embedding" },
  OTHER: { icon: "○", label: "Other" },
};

function Badge({ spec, title }) {
  return html`<span class="badge tone-${spec.tone}" title=${title}>
    <span class="badge-icon" aria-hidden="true">${spec.icon}</span>${spec.label}
  </span>`;
}

export function StatusBadge({ status, reason }) {
  const spec = RUN[status] || { icon: "?", label: status || "unknown", tone: "muted" };
  return html`<${Badge} spec=${spec} title=${reason ? `${spec.label}: ${reason}` : spec.label} />`;
}

/** An action's outcome; a running action has none yet. */
export function OutcomeBadge({ outcome }) {
  if (!outcome) return html`<${Badge} spec=${{ icon: "●", label: "running", tone: "running" }} />`;
  const spec = OUTCOME[outcome] || { icon: "?", label: outcome.toLowerCase(), tone: "muted" };
  return html`<${Badge} spec=${spec} />`;
}

export function KindIcon({ kind }) {
  const spec = KINDS[kind] || KINDS.OTHER;
  return html`<span class="kind kind-${(kind || "OTHER").toLowerCase()}" title=${spec.label}>
    <span aria-hidden="true">${spec.icon}</span><span class="sr-only">${spec.label}</span>
  </span>`;
}
