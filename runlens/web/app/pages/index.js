// Every page of the UI, registered with its route (first match wins).
import { html } from "../html.js";
import { route, Link } from "../router.js";
import { Empty } from "../components/states.js";
import { RunsPage } from "./runs.js";
import { RunPage } from "./run.js";
import { ActivityPage } from "./activity.js";
import { TimelinePage } from "./timeline.js";
import { LivePage } from "./live.js";

route("/", RunsPage);
route("/runs", RunsPage);
route("/runs/:id", RunPage);
route("/runs/:id/timeline", TimelinePage);
route("/runs/:id/live", LivePage);
route("/activity", ActivityPage);

export function NotFoundPage({ path }) {
  return html`<${Empty} title="No such page">
    <p>Nothing lives at <code>${path}</code>. <${Link} href="/runs">Go to the runs<//>.</p>
  <//>`;
}
