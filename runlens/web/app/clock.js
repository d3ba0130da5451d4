// One shared clock for everything that ticks (durations of running runs, relative times).
import { signal } from "@preact/signals";

export const now = signal(Date.now());
setInterval(() => {
  now.value = Date.now();
}, 1000);
