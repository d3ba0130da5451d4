// The Run Timeline (/runs/:id/timeline): the top bar, the event list (windowed, filtered by type
// and status, follow mode, arrows) and the selected event's detail. The URL holds the filters
// and the selected event (`?event=<id>`), so a link opens the Timeline on that event.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { html } from "../html.js";
import { here, navigate, withQuery, Link } from "../router.js";
import { query } from "../client.js";
import { useShortcuts } from "../keys.js";
import { RUN_FIELDS } from "../fragments.js";
import { Loading, ErrorState, Empty } from "../components/states.js";
import { useRunFeed } from "./run_feed.js";
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
  const feed = useRunFeed(params.id);
  const [stamp, setStamp] = useState(0);
  const { run, error, waiting } = useRun(params.id, `${stamp}:${feed.state}`);
  const q = here.value.query;
  const kinds = csv(q.get("type"));
  const statuses = csv(q.get("status"));
  const selected = q.get("event");
  const [follow, setFollow] = useState(q.get("follow") === "1");
  const all = feed.list();
  const shown = useMemo(
    () => all.filter((e) => (!kinds.length || kinds.includes(kindGroup(e.kind))) && (!statuses.length || statuses.includes(e.status))),
    [feed.version, kinds.join(), statuses.join()],
  );
  const index = shown.findIndex((e) => e.id === selected);
  const select = (event, replace = true) => navigate(withQuery({ event: event?.id }), { replace });

  useEffect(() => {
    if (follow && shown.length && shown[shown.length - 1].id !== selected) select(shown[shown.length - 1]);
  }, [follow, feed.version, shown.length]);
  useEffect(() => {
    if (!selected && shown.length && !follow) select(shown[0]);
  }, [shown.length > 0]);

  const step = (delta) => {
    if (!shown.length) return;
    const next = index < 0 ? 0 : Math.min(Math.max(index + delta, 0), shown.length - 1);
    if (delta < 0 && follow) setFollow(false);
    select(shown[next]);
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
            <span class="muted small">${shown.length === all.length ? `${all.length} events` : `${shown.length} of ${all.length}`}</span>
          </div>
        </div>
        ${shown.length
          ? html`<${EventList} events=${shown} selected=${selected} onSelect=${(e) => { if (follow) setFollow(false); select(e); }} />`
          : html`<p class="muted pad">${feed.state === "connecting" ? "Loading events…" : all.length ? "No event matches the filters." : "No events yet."}</p>`}
      </aside>
      <section class="timeline-main" aria-label="Event detail">
        ${current
          ? html`<${EventDetail} runId=${params.id} event=${current} feed=${feed} version=${feed.version} onOpen=${(id) => select({ id }, false)} />`
          : selected && feed.state !== "connecting"
            ? html`<${Empty} title="No such event in this run"><p><${Link} href=${withQuery({ event: null })}>Show the first event<//></p><//>`
            : html`<p class="muted pad">${all.length ? "Select an event." : ""}</p>`}
      </section>
    </div>
  </div>`;
}

/** The type filter groups: Message, LLM Call, Tool Execution, Summarization, other kinds. */
function kindGroup(kind) {
  return TYPES.some((t) => t.kind === kind) ? kind : "OTHER";
}
