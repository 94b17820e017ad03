// Results: one card per requested variation. A run is a job (POST /create with
// `Prefer: respond-async`): its cards follow the job's event stream live (create/live.js),
// and when it ends each card shows its image or its own error. Jobs found running when
// the page loads (a reload, another tab) are attached the same way.

import {
  downloadLink, extensionOf, fileName, h, pluralize, replace, setStyles, shorten, studioUrl,
} from "../dom.js";
import { openGallery } from "../components/lightbox.js";
import { toast, toastError } from "../components/toast.js";
import { detailsToggle, explain, explainBlock } from "../errors/explain.js";
import { openEditWorkspace } from "../edit/workspace.js";
import { session } from "../session.js";
import { LiveRun, costLine } from "./live.js";
import { humanWarning } from "./wording.js";

/** An ended job's error as the API would have answered it (explain.js reads it alike). */
function jobError(job) {
  const error = job.error || { code: "internal_error", message: "the run did not finish" };
  const variations = ((job.result && job.result.variations) || []).filter((v) => v.error)
    .map((v) => ({ index: v.index, provider: v.provider, ...v.error }));
  return { code: error.code, message: error.message, details: variations.length ? { variations } : {} };
}

async function copyImage(url) {
  const response = await fetch(url, { credentials: "omit" });
  const blob = await response.blob();
  if (window.ClipboardItem && navigator.clipboard && navigator.clipboard.write && blob.type === "image/png") {
    await navigator.clipboard.write([new ClipboardItem({ [blob.type]: blob })]);
    return "Image copied to the clipboard.";
  }
  await navigator.clipboard.writeText(new URL(url, location.href).href);
  return "This format cannot be copied as an image; its link was copied instead.";
}

export class Results {
  /** `onUseSeed(seed)`, `onUse(variation)` ("use this one"), `onAction(id)` (an error's next
   * step), `modelName(id)`; `onBusy()` runs when a run starts or ends (see `busy()`),
   * `onEnded()` after a run ended or was refused. */
  constructor(api, { onUseSeed, onUse, onAction, modelName, onBusy, onEnded }) {
    this.api = api;
    this.onUseSeed = onUseSeed;
    this.onUse = onUse;
    this.onAction = onAction;
    this.modelName = modelName;
    this.onBusy = onBusy || (() => {});
    this.onEnded = onEnded || (() => {});
    this.live = new Map(); // job id → LiveRun being followed
    this.submitting = 0;
    this.announce = h("p", { class: "sr-only", "aria-live": "polite", id: "results-live" });
    this.runs = h("div", { class: "runs" });
    this.empty = h("div", { class: "empty" },
      h("p", { class: "empty-title" }, "Your images will appear here"),
      h("p", { class: "muted" }, "Pick a template, describe the image and press Generate. "
        + "Every image is saved to your library automatically."));
    this.el = h("section", { class: "results", "aria-labelledby": "results-title" },
      h("h2", { id: "results-title", class: "section-title" }, "Results"),
      this.announce, this.empty, this.runs);
  }

  /** Whether a run is being submitted or followed. */
  busy() {
    return this.submitting > 0 || this.live.size > 0;
  }

  /** Whether job `id` is on screen and live. */
  has(id) {
    return this.live.has(id);
  }

  open({ label, total, ratio, createdAt = null }) {
    this.empty.hidden = true;
    const live = new LiveRun({ label, total, ratio, createdAt, onCancel: () => this.cancel(live) });
    this.runs.prepend(live.section);
    this.current = live.section;
    this.announce.textContent = `Generating ${pluralize(total, "variation")}.`;
    return live;
  }

  /** Create `body` as a job and follow it; resolves to the ended job, or null when the
   * request was refused (the refusal is shown in the run's place). */
  async run(body, label, ratio) {
    const live = this.open({ label, total: body.num_variations, ratio });
    this.submitting += 1;
    this.onBusy();
    let job;
    try {
      job = await this.api.createJob(body);
    } catch (error) {
      live.end();
      this.renderFailure(live, error);
      this.submitting -= 1;
      this.onEnded();
      return null;
    }
    this.submitting -= 1;
    const attached = this.live.get(job.id); // found by a re-attach meanwhile
    if (attached) {
      live.end();
      live.section.remove();
      return attached.ending;
    }
    return this.follow(live, job);
  }

  /** Show job `job` (found queued or running) as `meta` ({label, total, ratio}) and
   * follow it to its end; a job already shown is left as it is. */
  attach(job, meta) {
    if (this.live.has(job.id)) return this.live.get(job.id).ending;
    return this.follow(this.open({ ...meta, createdAt: job.created_at }), job);
  }

  follow(live, job) {
    this.live.set(job.id, live);
    live.accepted(job);
    live.ending = (async () => {
      try {
        await this.api.followJob(job.id, (event) => live.event(event));
        const ended = await this.api.job(job.id);
        this.renderEnded(live, ended);
        return ended;
      } catch (error) {
        this.renderFailure(live, error);
        return null;
      } finally {
        live.end();
        this.live.delete(job.id);
        this.onEnded();
      }
    })();
    this.onBusy();
    return live.ending;
  }

  /** Cancel the run's job: what has not started is released now (the stream says when
   * the job has ended). */
  async cancel(live) {
    try {
      const job = await this.api.cancelJob(live.jobId);
      if (job.state !== "cancelled") live.cancelRequested();
    } catch (error) {
      live.cancel.disabled = false;
      toastError(error, "Could not cancel");
    }
  }

  renderEnded(live, job) {
    live.cost.textContent = costLine(job);
    if (job.state === "succeeded") this.renderResult(live, job.result);
    else if (job.state === "cancelled") this.renderCancelled(live, job);
    else this.renderFailure(live, jobError(job));
  }

  renderResult(live, result) {
    const { status, grid } = live;
    const ok = result.num_succeeded;
    const failed = result.num_failed;
    status.textContent = failed
      ? `${ok} of ${pluralize(result.num_requested, "variation")} ready, ${failed} failed · cost ${result.cost.usd}`
      : `${pluralize(ok, "variation")} ready · cost ${result.cost.usd}`;
    status.classList.toggle("run-partial", failed > 0);
    this.announce.textContent = status.textContent;
    const extras = [];
    if (result.enhanced_prompt) {
      extras.push(h("details", { class: "sent-prompt" }, h("summary", {}, "Prompt sent to the model"),
        h("p", {}, result.enhanced_prompt)));
    }
    if (result.warnings.length) {
      extras.push(h("ul", { class: "warnings", "aria-label": "Notes from the studio" },
        result.warnings.map((w) => h("li", {}, humanWarning(w, this.modelName)))));
    }
    live.cost.after(...extras);
    this.renderVariations(grid, result);
  }

  renderVariations(grid, result) {
    const done = result.variations.filter((v) => v.status === "succeeded");
    const gallery = done.map((v) => this.galleryItem(v, result));
    replace(grid, result.variations.map((v) => (v.status === "succeeded"
      ? this.successCard(v, result, gallery, done.indexOf(v))
      : this.failedCard(v, result.num_requested))));
  }

  renderCancelled(live, job) {
    const result = job.result;
    const made = result ? result.num_succeeded : 0;
    let said = "Cancelled: nothing was made and nothing was charged.";
    if (made === live.total) {
      said = made === 1
        ? "Cancelled too late: the variation was already generating, so it was made and charged."
        : `Cancelled too late: all ${made} variations were already generating, so they were made and charged.`;
    }
    else if (made) said = `Cancelled: ${made} of ${pluralize(live.total, "variation")} made and charged (already generating); the rest cost nothing.`;
    live.status.textContent = said;
    live.status.classList.add("run-partial");
    this.announce.textContent = live.status.textContent;
    const why = { ...jobError(job), code: "cancelled", message: "cancelled at your request" };
    live.cost.after(explainBlock(why, { onAction: this.onAction }));
    if (result && result.variations) this.renderVariations(live.grid, result);
    else live.grid.remove();
  }

  renderFailure(live, error) {
    const { status, grid } = live;
    const text = explain(error);
    status.textContent = text.say;
    status.classList.add("run-failed");
    status.setAttribute("role", "alert");
    this.announce.textContent = "";
    status.after(explainBlock(error, { onAction: this.onAction, said: true }));
    const perVariation = (error.details && error.details.variations) || [];
    if (!perVariation.length) {
      grid.remove();
      return;
    }
    replace(grid, perVariation.map((v) => this.failedCard({ index: v.index, error: v, provider: v.provider }, live.total)));
  }

  failedCard(variation, total) {
    const error = variation.error || { message: "unknown error", code: "internal_error" };
    const wrapped = { code: error.code, message: error.message, details: { provider: variation.provider } };
    const text = explain(wrapped);
    return h("li", { class: "var-card var-failed", dataset: { code: error.code } },
      h("div", { class: "var-media var-error" },
        h("span", { class: "var-error-icon", "aria-hidden": "true" }, "!"),
        h("p", {}, text.say)),
      h("div", { class: "var-body" },
        h("p", { class: "var-title" }, error.code === "cancelled"
          ? `Variation ${variation.index + 1} of ${total} not made (cancelled)`
          : `Variation ${variation.index + 1} of ${total} failed`),
        h("p", { class: "hint" }, text.next),
        detailsToggle(wrapped)));
  }

  galleryItem(v, result) {
    const url = studioUrl(v.url);
    return {
      url,
      assetId: v.asset_id,
      favourite: false,
      variation: v,
      alt: `Variation ${v.index + 1} of ${result.num_requested}: ${shorten(result.prompt, 120)}`,
      title: `Variation ${v.index + 1}`,
      filename: fileName(result.prompt, v.seed ?? v.index + 1, extensionOf(v.media_type)),
      facts: [["Size", `${v.width} × ${v.height} px`], ["Model", this.modelName(v.model)],
        ["Provider", session.providerName(v.provider)], ["Seed", v.seed], ["Cost", v.cost.usd],
        ["Fallback from", v.fallback_from ? this.modelName(v.fallback_from) : null]],
      details: h("details", { class: "explain-details" }, h("summary", {}, "Details"),
        h("dl", { class: "facts facts-compact" },
          h("dt", {}, "Model id"), h("dd", {}, v.model || ""),
          h("dt", {}, "Asset id"), h("dd", {}, v.asset_id || ""))),
    };
  }

  openCompare(gallery, index) {
    openGallery(gallery, index, {
      onFavourite: async (item, want) => {
        await this.setFavourite(item.assetId, want);
        const card = this.runs.querySelector(`[data-asset-id="${CSS.escape(item.assetId)}"] .fav`);
        if (card) {
          card.setAttribute("aria-pressed", String(want));
          card.textContent = want ? "★ Favourite" : "☆ Favourite";
        }
      },
      onUse: (item) => this.pick(item),
    });
  }

  pick(item) {
    for (const card of this.runs.querySelectorAll(".var-card.is-picked")) card.classList.remove("is-picked");
    const card = this.runs.querySelector(`[data-asset-id="${CSS.escape(item.assetId || "")}"]`);
    if (card) card.classList.add("is-picked");
    this.onUse(item.variation);
  }

  async setFavourite(assetId, want) {
    try {
      await this.api.updateAsset(assetId, { favourite: want });
      toast(want ? "Added to favourites." : "Removed from favourites.");
    } catch (error) {
      toastError(error, "Could not update the favourite");
      throw error;
    }
  }

  successCard(v, result, gallery, at) {
    const item = gallery[at];
    const url = item.url;
    const open = () => this.openCompare(gallery, at);
    const image = h("img", { src: url, alt: item.alt, loading: "lazy", decoding: "async", width: v.width, height: v.height });
    const media = h("button", { type: "button", class: "var-media var-open", "aria-label": `Open variation ${v.index + 1} full size` }, image);
    setStyles(media, { "aspect-ratio": `${v.width} / ${v.height}` });
    media.addEventListener("click", open);

    const fav = this.favouriteButton(v.asset_id, item);
    const copy = h("button", { type: "button", class: "btn btn-small" }, "Copy");
    copy.addEventListener("click", async () => {
      try {
        toast(await copyImage(url));
      } catch (error) {
        toast(`Copy is not allowed here (${error.message || "clipboard unavailable"}); use Download instead.`, { kind: "error" });
      }
    });
    const seed = h("button", { type: "button", class: "btn btn-small", disabled: v.seed === null }, "Use seed");
    seed.addEventListener("click", () => this.onUseSeed(v.seed));
    const edit = v.asset_id ? this.editButton(v.asset_id) : null;
    const warnings = v.warnings.length
      ? h("ul", { class: "warnings warnings-small" }, v.warnings.map((w) => h("li", {}, humanWarning(w, this.modelName)))) : null;
    return h("li", { class: "var-card", dataset: { assetId: v.asset_id || "" } }, media,
      h("div", { class: "var-body" },
        h("p", { class: "var-title" }, `Variation ${v.index + 1}`,
          v.fallback_from ? h("span", { class: "badge" }, "fallback") : null,
          h("span", { class: "badge badge-pick" }, "Picked")),
        h("p", { class: "hint" }, [`${v.width}×${v.height}`, v.seed !== null ? `seed ${v.seed}` : null, v.cost.usd]
          .filter(Boolean).join(" · ")),
        warnings,
        h("div", { class: "var-actions" },
          h("button", { type: "button", class: "btn btn-small", onclick: open }, "Open"),
          downloadLink(url, item.filename, "btn btn-small"),
          edit, copy, fav, seed)));
  }

  /** Opens the Edit workspace (edit/workspace.js) on the variation's library image. */
  editButton(assetId) {
    const button = h("button", { type: "button", class: "btn btn-small" }, "Edit");
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        openEditWorkspace(await this.api.asset(assetId), { api: this.api });
      } catch (error) {
        toastError(error, "Could not open the image for editing");
      } finally {
        button.disabled = false;
      }
    });
    return button;
  }

  favouriteButton(assetId, item) {
    const fav = h("button", { type: "button", class: "btn btn-small fav", "aria-pressed": "false" }, "☆ Favourite");
    fav.addEventListener("click", async () => {
      const next = fav.getAttribute("aria-pressed") !== "true";
      fav.disabled = true;
      try {
        await this.setFavourite(assetId, next);
        item.favourite = next;
        fav.setAttribute("aria-pressed", String(next));
        fav.textContent = next ? "★ Favourite" : "☆ Favourite";
      } catch {
        // already told the user
      } finally {
        fav.disabled = false;
      }
    });
    return fav;
  }
}
