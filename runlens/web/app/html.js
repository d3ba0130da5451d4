// The one place components get `html` (htm bound to Preact's h) and Preact's API from.
import { h, render, Fragment } from "preact";
import htm from "htm";

export const html = htm.bind(h);
export { h, render, Fragment };
