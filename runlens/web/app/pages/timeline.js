// The Run Timeline (/runs/:id/timeline): the top bar, the event list (windowed, read page by
// page, filtered by type and status on the server, follow mode, arrows) and the selected
// event's detail. The URL holds the filters and the selected event (`?event=<id>`), so a link
// opens the Timeline on that event (the page holding it is read first).
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { html } from "../html.js";
import { here, navigate, withQuery, Link } from "../router.js";
import { query } from "../client.js";
import { useShortcuts } from "../keys.js";
import { RUN_FIELDS } from "../fragments.js";
import { Loading, ErrorState, Empty } from "../components/states.js";
import { feedSelection, useRunFeed } from "./run_feed.js";
import { EventPages } from "./timeline_pages.js";
import { RunTopBar } from "./timeline_top.js";
import { EventList, TYPES, EVENT_STATUSES } from "./timeline_list.js";
import { EventDetail } from "./timeline_detail.js";

const RUN = `query TimelineRun($id: ID!) { run(id: $id) { ${RUN_FIELDS} } }`;

function csv(value) {
  return value ? value.split(",").filter(Boolean) : [];
}

const WAIT_FOR_RUN_MS = 30_000; // a run just started may not be summarized yet
const TRACE_ID = /^[0-9a-f]{32}$/i;

/**
 * The run summary, read again when `stamp` changes (the feed finished, a command applied).
 * An unknown run (with a well-formed id) is asked for again every 1.5 s for 30 s (`waiting` meanwhile): a link to a
 * run that has just started can arrive before its summary.
 */
export function useRun(runId, stamp) {
  const [state, setState] = useState({ run: null, error: null, waiting: false });
  const since = useRef(Date.now());
  useEffect(() => {
    const abort = new AbortController();
    let timer = 0;
    const read = () =>
      query(RUN, { id: runId }, { signal: abort.signal })
        .then((data) => setState({ run: data.run, error: null, waiting: false }))
        .catch((error) => {
          if (error.name === "AbortError") return;
          const young = Date.now() - since.current < WAIT_FOR_RUN_MS;
          if (error.code === "NOT_FOUND" && TRACE_ID.test(runId) && young) {
            setState((s) => ({ ...s, waiting: true }));
            timer = setTimeout(read, 1500);
          } else setState((s) => ({ run: s.run, error, waiting: false }));
        });
    read();
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [runId, stamp]);
  return state;
}

export function TimelinePage({ params }) {
  const feed = useRunFeed(params.id, { paged: true });
  const [stamp, setStamp] = useState(0);
  const { run, error, waiting } = useRun(params.id, `${stamp}:${feed.state}`);
  const q = here.value.query;
  const kinds = csv(q.get("type"));
  const statuses = csv(q.get("status"));
  const selected = q.get("event");
  const [follow, setFollow] = useState(q.get("follow") === "1");
  const [, setPageVersion] = useState(0);
  const filterKey = `${kinds.join()}|${statuses.join()}`;
  const pages = useMemo(
    () => new EventPages(params.id, { kinds, statuses }, feed, feedSelection({ content: false }), () => setPageVersion((v) => v + 1)),
    [feed, filterKey],
  );
  const select = (event, replace = true) => navigate(withQuery({ event: event?.id }), { replace });

  // The first page (the one holding the linked event, if any); the feed then follows the run
  // from the sequence that page was read at. A run just started may not be known yet: read
  // again once its summary is (useRun waits for it).
  useEffect(() => {
    feed.onEvent = (event, seq) => pages.place(event, seq);
    if (pages.total !== null || pages.pending.size) return;
    const first = selected ? pages.around(selected) : pages.load(0);
    first.then(() => {
      if (!feed.paged && pages.total !== null) feed.startAt(pages.readAt || null);
    });
  }, [pages, Boolean(run)]);
  // A run that ended with events still shown running: read the pages again (they settle).
  useEffect(() => {
    if (feed.state !== "finished") return undefined;
    const timers = [1500, 3000].map((ms) =>
      setTimeout(() => pages.rows.some((id) => feed.events.get(id)?.status === "RUNNING") && pages.refresh(), ms),
    );
    return () => timers.forEach(clearTimeout);
  }, [feed.state, pages]);

  const total = pages.total ?? 0;
  const index = pages.indexOf(selected);
  // Follow: the last event (its page read first); without a selection, the first one.
  useEffect(() => {
    if (!follow || !total) return;
    const last = pages.at(total - 1);
    if (!last) pages.ensure(total - 1, total, "follow");
    else if (last.id !== selected) select(last);
  }, [follow, feed.version, total, pages.at(total - 1)]);
  useEffect(() => {
    if (!selected && !follow && pages.at(0)) select(pages.at(0));
  }, [pages.at(0)]);
  // A selected event that no page read holds (a link to a tool's execution, Back): its page.
  useEffect(() => {
    if (selected && pages.total !== null && !feed.events.has(selected) && !pages.missing.has(selected)) pages.around(selected);
  }, [selected, pages, pages.total !== null]);

  const step = (delta) => {
    if (!total) return;
    const next = index < 0 ? 0 : Math.min(Math.max(index + delta, 0), total - 1);
    if (delta < 0 && follow) setFollow(false);
    const event = pages.at(next);
    if (event) select(event);
    else pages.ensure(next, next + 1, "step").then(() => pages.at(next) && select(pages.at(next)));
  };
  useShortcuts([
    { key: "F", description: "follow mode: select new events as they arrive", handler: () => setFollow(!follow) },
    { key: "f", description: "follow mode", handler: () => setFollow(!follow) },
    { key: "ArrowDown", description: "next event", handler: () => step(1) },
    { key: "ArrowUp", description: "previous event", handler: () => step(-1) },
    { key: "j", description: "next event", handler: () => step(1) },
    { key: "k", description: "previous event", handler: () => step(-1) },
  ]);

  if (error && !run) return html`<${ErrorState} error=${error} retry=${() => setStamp(stamp + 1)} />`;
  if (!run) return html`<${Loading} label=${waiting ? "Waiting for the run to show up…" : "Loading the run…"} />`;
  const current = selected ? feed.events.get(selected) : null;
  const toggle = (name, list, value) => {
    const next = list.includes(value) ? list.filter((v) => v !== value) : [...list, value];
    navigate(withQuery({ [name]: next.join(",") }), { replace: true });
  };
  return html`<div class="timeline">
    <${RunTopBar} run=${run} feed=${feed} version=${feed.version} onCommand=${() => setStamp(stamp + 1)} />
    <div class="timeline-body">
      <aside class="timeline-side" aria-label="Events">
        <div class="timeline-filters">
          <fieldset aria-label="Event type">
            <legend>Type</legend>
            ${TYPES.map(
              (t) => html`<label class="chip small" key=${t.kind}>
                <input type="checkbox" checked=${kinds.includes(t.kind)} onChange=${() => toggle("type", kinds, t.kind)} />${t.label}
              </label>`,
            )}
          </fieldset>
          <fieldset aria-label="Event status">
            <legend>Status</legend>
            ${EVENT_STATUSES.map(
              (s) => html`<label class="chip small" key=${s}>
                <input type="checkbox" checked=${statuses.includes(s)} onChange=${() => toggle("status", statuses, s)} />${s.toLowerCase()}
              </label>`,
            )}
          </fieldset>
          <div class="list-tools">
            <button type="button" class=${`follow ${follow ? "on" : ""}`} aria-pressed=${follow} onClick=${() => setFollow(!follow)}
              title="Select new events as they arrive (F)">${follow ? "● Following" : "Follow"} <kbd>F</kbd></button>
            <span class="muted small">${countLabel(pages, kinds.length + statuses.length > 0)}</span>
          </div>
        </div>
        ${pages.error && pages.total === null && pages.error.code !== "NOT_FOUND"
          ? html`<${ErrorState} error=${pages.error} retry=${() => pages.load(0)} />`
          : total
            ? html`<${EventList} pages=${pages} version=${pages.rows.length} selected=${selected} onSelect=${(e) => { if (follow) setFollow(false); select(e); }} />`
            : html`<p class="muted pad">${pages.total === null ? "Loading events…" : kinds.length + statuses.length ? "No event matches the filters." : "No events yet."}</p>`}
      </aside>
      <section class="timeline-main" aria-label="Event detail">
        ${current
          ? html`<${EventDetail} runId=${params.id} event=${current} feed=${feed} version=${feed.version} onOpen=${(id) => select({ id }, false)} />`
          : selected && pages.missing.has(selected)
            ? html`<${Empty} title="No such event in this run"><p><${Link} href=${withQuery({ event: null })}>Show the first event<//></p><//>`
            : html`<p class="muted pad">${selected ? "Loading the event…" : total ? "Select an event." : ""}</p>`}
      </section>
    </div>
  </div>`;
}

/** "10,000 events", "12 matching" (filtered), "…" before the first page. */
function countLabel(pages, filtered) {
  if (pages.total === null) return "…";
  return filtered ? `${pages.total} matching` : `${pages.total} events`;
}
