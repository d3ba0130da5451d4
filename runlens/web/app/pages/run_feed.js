// One run followed live, for the Timeline and the Live Run Viewer: `runEventBatches` from the
// start (the server replays what is stored, then goes on live) or, for the Timeline, from the
// sequence its first page was read at (`startAt`), events keyed by id, output
// chunks per event and stream, the run's totals. The feed keeps `variables.after` at the last
// sequence it applied: client.js sends that same variables object again after a dropped
// socket, so the stream resumes where it stopped; chunks and events already applied are
// skipped, so nothing shows twice. OVERFLOW and "Retry stream" subscribe again from there.
import { useEffect, useMemo, useState } from "preact/hooks";
import { query, subscribe } from "../client.js";
import { toMillis } from "../format.js";

const SETTLE_PAGES = 50;
const ERROR = "error { type message remediation rawType rawMessage }";

/** What every event of a feed carries; `content` adds what the Live Run Viewer shows. */
export function feedSelection({ content }) {
  return `id spanId parentId sequence kind name status outcome startedAt endedAt durationMs costUsd
    ${ERROR}
    ${content ? "input output" : ""}
    ... on LlmCall { model provider tokens { input cached output reasoning total } ${content ? "response reasoning" : ""} }
    ... on ToolExecution { toolName callId }
    ... on Message { role ${content ? "content" : ""} }`;
}

const documentFor = (selection) => `subscription RunFeed($id: ID!, $after: Long) {
  runEventBatches(runId: $id, afterSequence: $after) {
    sequence
    updates {
      type sequence
      event { ${selection} }
      chunk { eventId stream text seq }
      tokens { input cached output reasoning total }
      costUsd
    }
  }
}`;

/** Microseconds of an ISO time (Date keeps milliseconds; spans start microseconds apart). */
function startKey(iso) {
  const ms = toMillis(iso);
  if (ms === null) return 0;
  const fraction = /\.(\d+)/.exec(iso)?.[1] || "";
  return ms * 1000 + Number(fraction.padEnd(6, "0").slice(3, 6));
}

export class RunFeed {
  constructor(runId, selection, onChange) {
    this.runId = runId;
    this.document = documentFor(selection);
    this.settleDocument = `query Settle($id: ID!, $after: String) { run(id: $id) { id
      events(first: 200, after: $after) { pageInfo { hasNextPage endCursor } edges { node { ${selection} } } } } }`;
    this.settling = 0;
    this.onChange = onChange;
    this.events = new Map(); // id -> event
    this.order = []; // ids in start order
    this.output = new Map(); // event id -> { stdout, stderr, model, last: {stream: seq} }
    this.tokens = null;
    this.costUsd = null;
    this.state = "connecting"; // connecting | live | finished | error
    this.error = null;
    this.variables = { id: runId, after: null };
    this.version = 0;
    this.stop = () => {};
    this.onEvent = () => {}; // (event, sequence) for each live event, after it is applied
    this.paged = false; // the Timeline: no replay, no settling (its pages are read again)
  }

  /** Follow the changes after commit sequence `seq` (what a page read at `seq` did not hold). */
  startAt(seq) {
    this.paged = true;
    this.variables.after = seq;
    this.start();
  }

  start() {
    this.stop();
    this.state = "connecting";
    this.error = null;
    this.changed();
    this.stop = subscribe(this.document, this.variables, {
      next: (data) => this.apply(data.runEventBatches),
      error: (error) => {
        this.state = "error";
        this.error = error;
        this.changed();
      },
      complete: () => {
        if (this.state === "overflow") {
          this.start();
          return;
        }
        if (this.state !== "error") {
          this.state = "finished";
          if (!this.paged) this.settle(1);
        }
        this.changed();
      },
    });
  }

  close() {
    this.stop();
    this.stop = () => {};
    clearTimeout(this.settling);
  }

  /**
   * The stream ends with the run; spans may still end after it (the agent's last export),
   * and those that never will read as terminated. Read the events' current state, twice at
   * most, while any shows running.
   */
  settle(attempt) {
    if (attempt > 2 || !this.list().some((e) => e.status === "RUNNING")) return;
    this.settling = setTimeout(async () => {
      let after = null;
      try {
        for (let page = 0; page < SETTLE_PAGES; page += 1) {
          const data = await query(this.settleDocument, { id: this.runId, after });
          const events = data.run?.events;
          if (!events) break;
          events.edges.forEach((edge) => this.put(edge.node));
          if (!events.pageInfo.hasNextPage) break;
          after = events.pageInfo.endCursor;
        }
      } catch {
        return; // the stream said the run ended; a failed read only leaves a status stale
      }
      this.changed();
      this.settle(attempt + 1);
    }, attempt * 1500);
  }

  apply(batch) {
    if (this.state === "connecting") this.state = "live";
    // Every update is idempotent (events by id, chunks by their seq), so one sent again
    // after a resume changes nothing.
    for (const update of batch.updates) {
      if (update.type === "EVENT_CREATED" || update.type === "EVENT_UPDATED") {
        const event = this.put(update.event);
        if (event) this.onEvent(event, Number(update.sequence));
      }
      else if (update.type === "OUTPUT_CHUNK" || update.type === "MODEL_TEXT_DELTA") this.chunk(update.chunk);
      else if (update.type === "TOTALS") {
        this.tokens = update.tokens;
        this.costUsd = update.costUsd;
      } else if (update.type === "OVERFLOW") this.state = "overflow";
    }
    this.variables.after = Math.max(this.variables.after ?? 0, batch.sequence);
    this.changed();
  }

  put(event) {
    if (!event) return;
    const known = this.events.has(event.id);
    const merged = { ...this.events.get(event.id), ...event, at: startKey(event.startedAt) };
    this.events.set(event.id, merged);
    if (!known) this.insert(merged);
    return merged;
  }

  /** Keep `order` in start order (start time, then span id), as the API's `sequence`. */
  insert(event) {
    const before = (id) => {
      const other = this.events.get(id);
      return other.at < event.at || (other.at === event.at && other.spanId < event.spanId);
    };
    let low = 0;
    let high = this.order.length;
    if (high && before(this.order[high - 1])) low = high; // the usual case: the newest start
    while (low < high) {
      const mid = (low + high) >> 1;
      if (before(this.order[mid])) low = mid + 1;
      else high = mid;
    }
    this.order.splice(low, 0, event.id);
  }

  chunk(chunk) {
    const out = this.output.get(chunk.eventId) || { stdout: "", stderr: "", model: "", text: "", chunks: 0, last: {} };
    const last = out.last[chunk.stream] ?? -1;
    if (chunk.seq <= last) return; // delivered again after a resume
    out.last[chunk.stream] = chunk.seq;
    out[chunk.stream] = (out[chunk.stream] || "") + chunk.text;
    if (chunk.stream !== "model") out.text += chunk.text;
    out.chunks += 1;
    this.output.set(chunk.eventId, out);
  }

  /** The events in start order. */
  list() {
    return this.order.map((id) => this.events.get(id));
  }

  changed() {
    this.version += 1;
    this.onChange(this.version);
  }
}

/**
 * A RunFeed for `runId` while the component is mounted; re-renders on every change. Children
 * that read the feed take `version=${feed.version}` too: the feed object stays the same, and a
 * component whose props did not change is not rendered again.
 */
export function useRunFeed(runId, { content = false, paged = false } = {}) {
  const [, setVersion] = useState(0);
  const feed = useMemo(() => new RunFeed(runId, feedSelection({ content }), setVersion), [runId, content]);
  useEffect(() => {
    if (!paged) feed.start(); // a paged feed starts at its first page's sequence (`startAt`)
    return () => feed.close();
  }, [feed]);
  return feed;
}
