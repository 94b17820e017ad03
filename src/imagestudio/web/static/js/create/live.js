// One run on the Create page while its job is live: a card per variation that follows the
// job's event stream (queued → generating → done or failed), a status line with the time
// and the money held, and Cancel (POST /jobs/{id}/cancel). The images themselves arrive
// with the job's end: the studio stores a run's images, its library rows and its charge
// in one transaction, so a finished variation is "done" until then.

import { formatDate, h, pluralize, replace, setStyles } from "../dom.js";

const CANCELLING = "Cancelling: variations not started yet are released and cost nothing; "
  + "any already generating finish and are charged, as each would be without Cancel.";

function unitCard(index, total, ratio) {
  const text = h("span", { class: "var-pending-text" });
  const media = h("div", { class: "var-media var-pending" }, text);
  setStyles(media, { "aspect-ratio": ratio });
  const hint = h("p", { class: "hint" });
  const el = h("li", { class: "var-card var-live", "aria-busy": "true" }, media,
    h("div", { class: "var-body" }, h("p", { class: "var-title" }, `Variation ${index + 1}`), hint));
  const card = { el, state: "" };
  card.set = (state, message = "") => {
    card.state = state;
    el.dataset.unitState = state;
    const bar = state === "generating" ? h("div", { class: "progress", role: "progressbar",
      "aria-label": `Generating variation ${index + 1} of ${total}`, "aria-valuetext": "In progress" },
    h("span", { class: "progress-bar" })) : null;
    const mark = { queued: "Queued", generating: "Generating…", done: "✓ Done", failed: "Failed" }[state];
    replace(media, ...(bar ? [bar] : []), text);
    text.textContent = mark;
    media.classList.toggle("var-done", state === "done");
    media.classList.toggle("var-error", state === "failed");
    hint.textContent = {
      queued: "Waiting for its turn",
      generating: message || "The model is working on it",
      done: "Saving with the others…",
      failed: message || "This variation could not be made",
    }[state];
    if (state === "done" || state === "failed") el.removeAttribute("aria-busy");
  };
  card.set("queued");
  return card;
}

/** The live view of one run: `section` (prepend it), `status`, `grid`, `cancel`. */
export class LiveRun {
  /** `label` names the run, `ratio` shapes the cards; `onCancel()` asks for the cancel. */
  constructor({ label, total, ratio, createdAt, onCancel }) {
    this.total = total;
    this.jobId = null;
    this.quote = null;
    this.cancelling = false;
    this.started = Date.now();
    this.status = h("p", { class: "run-status", role: "status" }, `Generating ${pluralize(total, "variation")}…`);
    this.cost = h("p", { class: "run-cost hint" });
    this.cards = Array.from({ length: total }, (_, i) => unitCard(i, total, ratio));
    this.grid = h("ul", { class: "var-grid", "aria-label": "Variations" }, this.cards.map((c) => c.el));
    this.cancel = h("button", { type: "button", class: "btn btn-small btn-danger", id: "cancel-run", disabled: true }, "Cancel");
    this.cancel.addEventListener("click", () => {
      this.cancel.disabled = true;
      onCancel();
    });
    this.section = h("section", { class: "run card", "aria-busy": "true", tabindex: "-1" },
      h("div", { class: "run-head" }, h("h3", {}, label),
        h("span", { class: "muted" }, formatDate(createdAt || new Date().toISOString())), this.cancel),
      this.status, this.cost, this.grid);
    this.timer = setInterval(() => this.tick(), 1000);
  }

  /** The job was accepted (or found running after a reload): Cancel works from now on. */
  accepted(job) {
    this.jobId = job.id;
    this.section.dataset.jobId = job.id;
    this.quote = job.quote;
    this.started = Date.parse(job.created_at) || this.started;
    this.cancel.disabled = job.cancel_requested;
    this.cost.textContent = `${job.quote.usd} held until the run ends`;
    if (job.cancel_requested) this.cancelRequested();
    this.tick();
  }

  /** One event of the job's stream. */
  event({ event, data }) {
    const card = this.cards[data.index];
    if (event === "unit_started" && card && card.state === "queued") card.set("generating", data.message);
    else if (event === "unit_done" && card) card.set("done");
    else if (event === "unit_failed" && card) card.set("failed", data.message);
    this.tick();
  }

  cancelRequested() {
    this.cancelling = true;
    this.cancel.disabled = true;
    this.tick();
  }

  done() {
    return this.cards.filter((c) => c.state === "done" || c.state === "failed").length;
  }

  tick() {
    if (this.cancelling) {
      this.status.textContent = CANCELLING;
      return;
    }
    const seconds = Math.max(0, Math.round((Date.now() - this.started) / 1000));
    const waiting = this.jobId && this.cards.every((c) => c.state === "queued");
    const done = this.done();
    this.status.textContent = waiting
      ? `Queued: ${pluralize(this.total, "variation")} start when the studio is free… ${seconds} s`
      : `Generating ${pluralize(this.total, "variation")}…${done ? ` ${done} of ${this.total} done ·` : ""} ${seconds} s`;
  }

  /** The run ended: stop the clock and drop the Cancel button. */
  end() {
    clearInterval(this.timer);
    this.cancel.remove();
    this.section.removeAttribute("aria-busy");
  }
}

/** "Quoted $X · charged $Y · $Z released" for an ended job. */
export function costLine(job) {
  const released = job.quote.micros - job.cost.micros;
  return [`Quoted ${job.quote.usd}`, `charged ${job.cost.usd}`,
    released > 0 ? `${usd(released)} released` : null].filter(Boolean).join(" · ");
}

/** As the API's Money.usd: 39000 → "$0.039" (two decimals at least, no trailing zeros). */
export function usd(micros) {
  const sign = micros < 0 ? "-" : "";
  const abs = Math.abs(micros);
  const decimals = String(abs % 1e6).padStart(6, "0").replace(/0+$/, "").padEnd(2, "0");
  return `${sign}$${Math.floor(abs / 1e6)}.${decimals}`;
}

export { CANCELLING };
