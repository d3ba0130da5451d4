import { html } from "../html.js";
import { Loading } from "../components/states.js";

export function ActivityPage() {
  return html`<${Loading} label="Activity" />`;
}
