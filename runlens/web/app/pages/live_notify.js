// Opt-in browser notifications: once asked for, a watched run that ends says so.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../html.js";

const supported = typeof window !== "undefined" && "Notification" in window;

export function Notify({ status, finished, task }) {
  const [on, setOn] = useState(false);
  const told = useRef(false);
  useEffect(() => {
    if (!on || !finished || told.current || Notification.permission !== "granted") return;
    told.current = true;
    const word = status === "FAILED" ? "failed" : status === "TERMINATED" ? "was terminated" : "completed";
    new Notification(`runlens: the run ${word}`, { body: task.slice(0, 120) });
  }, [on, finished]);
  if (!supported || finished) return null;
  const toggle = async (event) => {
    const want = event.currentTarget.checked;
    if (want && Notification.permission !== "granted") {
      const answer = await Notification.requestPermission();
      setOn(answer === "granted");
      return;
    }
    setOn(want);
  };
  return html`<label class="notify small" title="A browser notification when this run completes or fails">
    <input type="checkbox" checked=${on} onChange=${toggle} /> Notify me when it ends
  </label>`;
}
