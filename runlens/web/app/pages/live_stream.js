// The Live Run Viewer's stream: entries made from the feed's events in the order they showed
// (agent started, prompt sent, the agent's thinking when the instrumentation captured it, model
// response growing as it streams, tool invocation with its stdout, tool result, run completed or
// failed), each with time, icon, a line and details.
// Only the last LIMIT events make entries in the DOM; the Timeline has them all.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { html } from "../html.js";
import { Link } from "../router.js";
import { useShortcuts } from "../keys.js";
import { JsonView } from "../components/json.js";
import { formatExact } from "../format.js";

const LIMIT = 300;

function messagesOf(value) {
  let v = value;
  if (typeof v === "string") {
    try {
      v = JSON.parse(v);
    } catch {
      return [];
    }
  }
  if (v && !Array.isArray(v) && Array.isArray(v.messages)) v = v.messages;
  return Array.isArray(v) ? v.filter((m) => m && typeof m === "object") : [];
}

function textOf(message) {
  if (typeof message.content === "string") return message.content;
  const parts = Array.isArray(message.parts) ? message.parts : Array.isArray(message.content) ? message.content : [];
  return parts.map((p) => (typeof p === "string" ? p : p.content ?? p.text ?? "")).join("");
}

/** The first user message of the run (what it is working on), or "". */
export function firstUserText(events) {
  for (const event of events) {
    const user = messagesOf(event.input).find((m) => m.role === "user");
    if (user) return textOf(user);
    if (event.kind === "MESSAGE" && event.role === "user" && event.content) return event.content;
  }
  return "";
}

function oneLine(text, max = 160) {
  const line = String(text ?? "").replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/** A payload in one line: the text of a message list, else its JSON. */
function short(value) {
  if (value === null || value === undefined) return "";
  const messages = messagesOf(value);
  if (messages.length) return oneLine(messages.map(textOf).join(" "), 120);
  return oneLine(typeof value === "string" ? value : JSON.stringify(value), 120);
}

/** The stream's entries for the last `limit` events of the feed (and the run's end). */
export function entriesOf(feed, limit) {
  const entries = [];
  for (const e of feed.list().slice(-limit)) {
    const out = feed.output.get(e.id);
    const at = e.startedAt;
    if (e.kind === "AGENT" && !e.parentId) {
      entries.push({ key: `${e.id}:start`, at, type: "agent", icon: "◆", line: `Agent started: ${e.name}`, event: e });
      continue;
    }
    if (e.kind === "LLM_CALL") {
      const messages = messagesOf(e.input);
      const system = messages.find((m) => m.role === "system");
      const user = [...messages].reverse().find((m) => m.role === "user");
      entries.push({
        key: `${e.id}:prompt`, at, type: "prompt", icon: "↑",
        line: `Prompt sent to ${e.model || "the model"}${user ? `: ${oneLine(textOf(user), 120)}` : ""}`,
        details: { system: system ? textOf(system) : undefined, messages: e.input },
      });
      if (e.reasoning) {
        entries.push({
          key: `${e.id}:thinking`, at, type: "thinking", icon: "…", line: "Agent thinking", text: e.reasoning,
          tokens: e.tokens?.reasoning,
        });
      } else if (e.tokens?.reasoning) {
        // the instrumentation sent the reasoning's size, not its text: say that the model thought
        entries.push({
          key: `${e.id}:thinking`, at, type: "thinking", icon: "…",
          line: `Agent thinking: ${e.tokens.reasoning.toLocaleString("en-US")} reasoning tokens (the text was not captured)`,
        });
      }
      const text = e.response || out?.model || "";
      if (text || e.status === "RUNNING") {
        entries.push({
          key: `${e.id}:response`, at, type: "response", icon: "✦", streaming: e.status === "RUNNING",
          line: e.status === "RUNNING" ? "Model responding…" : "Model response", text, event: e,
        });
      }
      continue;
    }
    if (e.kind === "TOOL_EXECUTION") {
      entries.push({
        key: `${e.id}:call`, at, type: "tool", icon: "⚒", streaming: e.status === "RUNNING",
        line: `Tool ${e.toolName || e.name}(${short(e.input)})`, terminal: out?.text, details: e.input, event: e,
      });
      if (e.status !== "RUNNING") {
        entries.push({
          key: `${e.id}:result`, at: e.endedAt, type: e.status === "FAILED" ? "failed" : "result", icon: e.status === "FAILED" ? "✕" : "⏎",
          line: `${e.toolName || e.name} ${e.status === "FAILED" ? `failed: ${e.error?.message || ""}` : `returned ${short(e.output)}`}`,
          details: e.output ?? e.error,
        });
      }
      continue;
    }
    if (e.kind === "MESSAGE") {
      entries.push({ key: e.id, at, type: "message", icon: "✉", line: `${e.role || "message"}: ${oneLine(e.content)}`, details: e.content });
      continue;
    }
    if (e.kind === "SUMMARIZATION") {
      entries.push({ key: e.id, at, type: "summary", icon: "≡", line: "Context summarized", details: e.output });
      continue;
    }
    entries.push({ key: e.id, at, type: "other", icon: "○", line: e.name, details: e.input ?? e.output });
  }
  const root = feed.list().find((e) => e.kind === "AGENT" && !e.parentId);
  if (root && root.status !== "RUNNING") {
    const failed = root.status === "FAILED";
    const line = failed
      ? `Run failed: ${root.error?.message || "no reason recorded"}`
      : root.status === "TERMINATED" ? "Run terminated" : `Run completed${root.output ? `: ${short(root.output)}` : ""}`;
    entries.push({ key: `${root.id}:end`, at: root.endedAt, type: failed ? "failed" : "end", icon: failed ? "✕" : "✓", line, details: root.output ?? root.error });
  }
  return entries;
}

function Entry({ entry }) {
  const [open, setOpen] = useState(false);
  const terminal = useRef(null);
  useLayoutEffect(() => {
    if (terminal.current) terminal.current.scrollTop = terminal.current.scrollHeight;
  }, [entry.terminal]);
  const expandable = entry.details !== undefined && entry.details !== null;
  return html`<li class=${`entry entry-${entry.type} ${entry.streaming ? "streaming" : ""}`} data-type=${entry.type} data-key=${entry.key}>
    <time class="mono small muted" title=${formatExact(entry.at)}>${formatExact(entry.at).slice(11, 23)}</time>
    <span class="entry-icon" aria-hidden="true">${entry.icon}</span>
    <div class="entry-body">
      <div class="entry-line">
        ${expandable
          ? html`<button type="button" class="j-toggle" aria-expanded=${open} onClick=${() => setOpen(!open)}>${open ? "▾" : "▸"} ${entry.line}</button>`
          : entry.line}
        ${entry.streaming ? html`<span class="spinner small" aria-label="in progress"></span>` : null}
      </div>
      ${entry.type === "response" && entry.text ? html`<div class="model-text" aria-live="off">${entry.text}</div>` : null}
      ${entry.type === "thinking" && entry.text
        ? html`<blockquote class="thinking-text" aria-label="Agent thinking">${entry.text}
            ${entry.tokens ? html`<footer class="muted small">${entry.tokens.toLocaleString("en-US")} reasoning tokens</footer>` : null}</blockquote>`
        : null}
      ${entry.terminal ? html`<pre class="terminal small" ref=${terminal} aria-label="Tool output">${entry.terminal}</pre>` : null}
      ${open ? html`<div class="entry-details">${typeof entry.details === "object" ? html`<${JsonView} value=${entry.details} />` : html`<pre class="raw">${entry.details}</pre>`}</div>` : null}
    </div>
  </li>`;
}

export function LiveStream({ feed, run, finished }) {
  const [follow, setFollow] = useState(true); // keep the newest entry in view
  const following = useRef(follow);
  following.current = follow;
  // only the newest LIMIT events make entries: the DOM and the work per update stay bounded
  const hidden = Math.max(feed.order.length - LIMIT, 0);
  const entries = entriesOf(feed, LIMIT);
  useLayoutEffect(() => {
    if (follow) window.scrollTo(0, document.body.scrollHeight);
  }, [feed.version, follow]);
  useEffect(() => {
    const onScroll = () => {
      const bottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 80;
      if (bottom !== following.current) setFollow(bottom);
    };
    window.addEventListener("scroll", onScroll, { passive: true });
    return () => window.removeEventListener("scroll", onScroll);
  }, []);
  useShortcuts([{ key: "F", description: "follow the newest entry (or stay where you are)", handler: () => setFollow(!follow) }]);
  return html`<section class="live-stream" aria-label="Event stream">
    <div class="stream-bar small">
      <span class="muted">${feed.order.length} events</span>
      <button type="button" class=${`follow ${follow ? "on" : ""}`} aria-pressed=${follow} onClick=${() => setFollow(!follow)}
        title="Keep the newest entry in view (F)">${follow ? "● Following" : "Paused: follow"} <kbd>F</kbd></button>
    </div>
    ${hidden ? html`<p class="muted small">${hidden} earlier events are in the <${Link} href=${`/runs/${run.id}/timeline`}>Timeline<//>.</p>` : null}
    ${entries.length ? null : html`<p class="muted">${finished ? "The run recorded no events." : "Waiting for the agent's first event…"}</p>`}
    <ol class="entries">${entries.map((entry) => html`<${Entry} key=${entry.key} entry=${entry} />`)}</ol>
  </section>`;
}
