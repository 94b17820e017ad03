// One connection banner for the whole page: shown when the studio server cannot be
// reached, with a countdown and "Retry now"; when the server answers again it hides and
// every page that registered with onReconnect() refreshes itself.

import { h } from "./dom.js";

const HEALTH = "/api/image-studio/health";
const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 8000;

let down = false;
let delay = FIRST_DELAY_MS;
let timer = null;
let ticker = null;
let nextAt = 0;
let banner = null;
let countdown = null;
const listeners = new Set();

function build() {
  countdown = h("span", { class: "conn-countdown", "aria-hidden": "true" });
  const retry = h("button", { type: "button", class: "btn btn-small" }, "Retry now");
  retry.addEventListener("click", () => probe());
  banner = h("div", { class: "conn-banner", id: "connection", role: "alert", hidden: true },
    h("p", {}, h("strong", {}, "Cannot reach Image Studio. "),
      "Your settings are kept; the page reconnects by itself when the studio is back. "),
    countdown, retry);
  document.getElementById("topbar").after(banner);
}

function tick() {
  const seconds = Math.max(0, Math.ceil((nextAt - Date.now()) / 1000));
  countdown.textContent = seconds ? `Retrying in ${seconds} s…` : "Retrying…";
}

function schedule() {
  clearTimeout(timer);
  nextAt = Date.now() + delay;
  timer = setTimeout(probe, delay);
  delay = Math.min(delay * 2, MAX_DELAY_MS);
  tick();
}

async function probe() {
  clearTimeout(timer);
  try {
    const response = await fetch(HEALTH, { cache: "no-store", credentials: "omit" });
    if (response.ok) {
      reportUp();
      return;
    }
  } catch {
    // still down
  }
  if (down) schedule();
}

/** A request could not reach the server: show the banner and start probing. */
export function reportDown() {
  if (down) return;
  down = true;
  delay = FIRST_DELAY_MS;
  if (!banner) build();
  banner.hidden = false;
  clearInterval(ticker);
  ticker = setInterval(tick, 500);
  schedule();
}

/** The server answered: hide the banner and let every page refresh. */
export function reportUp() {
  if (!down) return;
  down = false;
  clearTimeout(timer);
  clearInterval(ticker);
  if (banner) banner.hidden = true;
  for (const listener of listeners) listener();
}

export function isDown() {
  return down;
}

/** Run `fn` each time the server is reachable again; returns an unsubscribe function. */
export function onReconnect(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
