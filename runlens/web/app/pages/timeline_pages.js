// The Timeline's event list as pages of the run's `events` connection, filtered on the server:
// `total` positions, the ids of the pages read so far (the others are holes the list shows as
// placeholders and reads when they scroll into view), a deep link read with `around` (the page
// holding the event). Events themselves live in the run's feed (one object per event, which
// the live stream keeps up to date); live events are placed here (`place`), so a run that is
// still running grows at the end without reading its pages again.
import { query } from "../client.js";

export const PAGE = 100;
const OTHER_KINDS = ["AGENT", "RETRIEVAL", "EMBEDDING", "OTHER"];
const MAIN_KINDS = ["MESSAGE", "LLM_CALL", "TOOL_EXECUTION", "SUMMARIZATION"];

/** The filter groups of the list (MESSAGE … OTHER) as the API's event kinds. */
function apiKinds(groups) {
  return groups.flatMap((group) => (group === "OTHER" ? OTHER_KINDS : [group]));
}

/** Whether `event` passes the list's filters (as the server decides for its pages). */
export function passes(event, { kinds, statuses }) {
  const group = MAIN_KINDS.includes(event.kind) ? event.kind : "OTHER";
  return (!kinds.length || kinds.includes(group)) && (!statuses.length || statuses.includes(event.status));
}

const FILTERS = "$id: ID!, $kinds: [EventKind!], $statuses: [EventStatus!]";
const pageOf = (selection, args) =>
  `events(kinds: $kinds, statuses: $statuses, first: ${PAGE}, ${args}) {
    totalCount offset changeSequence edges { node { ${selection} } } }`;
/** A page by its offset; the page holding an event, with the event (also when filtered out). */
const documents = (selection) => ({
  offset: `query TimelinePage(${FILTERS}, $offset: Int) { run(id: $id) { id ${pageOf(selection, "offset: $offset")} } }`,
  around: `query TimelineAround(${FILTERS}, $around: ID!) { run(id: $id) { id
    event(id: $around) { ${selection} } ${pageOf(selection, "around: $around")} } }`,
});

export class EventPages {
  /** `filters`: { kinds: [group], statuses: [EventStatus] }; events go to `feed.put`. */
  constructor(runId, filters, feed, selection, onChange) {
    this.runId = runId;
    this.filters = filters;
    this.feed = feed;
    this.documents = documents(selection);
    this.onChange = onChange;
    this.total = null; // unknown until the first page
    this.rows = []; // event ids by position; undefined where not read yet
    this.readAt = 0; // changeSequence of the newest page read
    this.pending = new Map(); // page number -> promise
    this.error = null;
    this.missing = new Set(); // ids asked for with `around` that the run does not have
    this.wanted = new Map(); // why -> {from, to}: the ranges to read (the list's view, a step…)
    this.busy = null; // the reads in progress (ensure reads one page at a time)
  }

  /** Read page `n` (once at a time); resolves when its rows are in. */
  load(n) {
    if (!this.pending.has(n)) {
      const read = this.read({ offset: n * PAGE }).finally(() => this.pending.delete(n));
      this.pending.set(n, read);
    }
    return this.pending.get(n);
  }

  /** Read the page holding event `id` (and the event itself, also when it is filtered out). */
  around(id) {
    const key = `around:${id}`;
    if (!this.pending.has(key)) {
      const read = this.read({ around: id }).finally(() => this.pending.delete(key));
      this.pending.set(key, read);
    }
    return this.pending.get(key);
  }

  async read({ offset = null, around = null }) {
    const variables = {
      id: this.runId,
      kinds: this.filters.kinds.length ? apiKinds(this.filters.kinds) : null,
      statuses: this.filters.statuses.length ? this.filters.statuses : null,
      ...(around === null ? { offset } : { around }),
    };
    try {
      const data = await query(around === null ? this.documents.offset : this.documents.around, variables);
      const page = data.run?.events;
      if (!page) return;
      if (around !== null) {
        if (data.run.event) this.feed.put(data.run.event);
        else this.missing.add(around);
      }
      this.total = page.totalCount;
      this.rows.length = Math.min(this.rows.length, this.total);
      page.edges.forEach((edge, i) => {
        this.feed.put(edge.node);
        this.rows[page.offset + i] = edge.node.id;
      });
      this.readAt = Math.max(this.readAt, Number(page.changeSequence ?? 0));
      this.error = null;
    } catch (error) {
      this.error = error;
    }
    this.onChange();
  }

  /**
   * Read the pages holding the positions [from, to) that are not read yet, one at a time.
   * `why` names the range: the list's view ("view", moved as it scrolls) replaces its previous
   * range, so a fling across a long list reads only where it stops, not every page on the way.
   * Resolves once the range is read (or replaced).
   */
  ensure(from, to, why = "view") {
    this.wanted.set(why, { from: Math.max(from, 0), to });
    if (!this.busy) this.busy = this.drain().finally(() => (this.busy = null));
    return this.busy;
  }

  async drain() {
    for (let n = this.nextMissing(); n !== null; n = this.nextMissing()) {
      await this.load(n);
      if (this.error) return; // shown in the list; the next scroll tries again
    }
  }

  /** The first page of a wanted range with a position not read yet, or null. */
  nextMissing() {
    for (const [why, { from, to }] of this.wanted) {
      const last = Math.min(to, this.total ?? 0);
      for (let i = from; i < last; i += 1) if (this.rows[i] === undefined) return Math.floor(i / PAGE);
      if (why !== "view") this.wanted.delete(why);
    }
    return null;
  }

  /** Read the pages read so far again (statuses that settled after the run ended). */
  refresh() {
    const pages = new Set();
    this.rows.forEach((id, i) => id !== undefined && pages.add(Math.floor(i / PAGE)));
    return Promise.all([...pages].map((n) => this.load(n)));
  }

  /** The event at `position`, or null while its page is not read. */
  at(position) {
    const id = this.rows[position];
    return id === undefined ? null : this.feed.events.get(id);
  }

  indexOf(id) {
    return id ? this.rows.indexOf(id) : -1;
  }

  /**
   * A live event, stored at commit sequence `seq`: leaves the list when it no longer passes
   * the filters, joins it when it newly does. A page read after `seq` counted it already; a
   * newer one goes at the end when it starts after the last event (the usual case), else the
   * pages read are read again (an event that started earlier moves the others down).
   */
  place(event, seq) {
    if (this.total === null) return;
    const index = this.indexOf(event.id);
    const wanted = passes(event, this.filters);
    if (index >= 0 && !wanted) {
      this.rows.splice(index, 1);
      this.total = Math.max(this.total - 1, 0);
    } else if (index < 0 && wanted && seq > this.readAt) {
      const lastId = this.rows[this.total - 1];
      const last = lastId === undefined ? null : this.feed.events.get(lastId);
      if (this.total === 0 || (last && last.at <= event.at)) {
        this.rows[this.total] = event.id;
        this.total += 1;
      } else {
        this.refresh();
      }
    }
  }
}
