// Keyboard shortcuts: pages register what they handle with useShortcuts() while mounted; one
// keydown listener dispatches to the most recently registered binding of a key. Keys typed in
// a field are left to the field (except Escape). `?` shows every active binding.
import { signal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";

/** The bindings in force, newest last: [{ key, description, group }]. */
export const bindings = signal([]);
export const helpOpen = signal(false);

const handlers = new Map(); // binding -> handler

function isTyping(target) {
  if (!(target instanceof HTMLElement)) return false;
  const tag = target.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
}

/** Register `[{ key, description, group?, handler(event) }]` while the component is mounted. */
export function useShortcuts(list) {
  const latest = useRef(list);
  latest.current = list;
  const shape = list.map((b) => `${b.key}\u0000${b.description}`).join("\u0001");
  useEffect(() => {
    const added = latest.current.map((b, i) => {
      const binding = { key: b.key, description: b.description, group: b.group || "This page" };
      handlers.set(binding, (event) => latest.current[i].handler(event));
      return binding;
    });
    bindings.value = [...bindings.value, ...added];
    return () => {
      added.forEach((b) => handlers.delete(b));
      bindings.value = bindings.value.filter((b) => !added.includes(b));
    };
  }, [shape]);
}

function dispatch(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key !== "Escape" && isTyping(event.target)) return;
  if (event.key === "?") {
    helpOpen.value = !helpOpen.value;
    event.preventDefault();
    return;
  }
  if (event.key === "Escape" && helpOpen.value) {
    helpOpen.value = false;
    event.preventDefault();
    return;
  }
  const list = bindings.value;
  for (let i = list.length - 1; i >= 0; i -= 1) {
    if (list[i].key === event.key) {
      const handler = handlers.get(list[i]);
      if (handler) {
        event.preventDefault();
        handler(event);
      }
      return;
    }
  }
}

window.addEventListener("keydown", dispatch);
