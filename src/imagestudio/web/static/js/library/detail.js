// One asset in full: the image, every bit of generation metadata, title/tags/favourite and
// collection editing, download, delete and "generate again with these settings".

import {
  downloadLink, extensionOf, fileName, formatBytes, formatDate, h, replace, studioUrl, uid,
} from "../dom.js";
import { openDialog, confirmDialog } from "../components/dialog.js";
import { toast, toastError } from "../components/toast.js";
import { session } from "../session.js";
import { assetAlt, assetLabel, isVideo } from "./grid.js";
import { explainBlock } from "../errors/explain.js";
import { humanWarning } from "../create/wording.js";
import { openOptimizer } from "./optimize.js";
import { openEditWorkspace } from "../edit/workspace.js";
import { transformPanel } from "./transform.js";
import { upscalePanel } from "./upscale.js";

function facts(rows) {
  return h("dl", { class: "facts" }, rows
    .filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => [h("dt", {}, k), h("dd", {}, String(v))]));
}

function videoRows(generation, r) {
  return [
    ["Status", generation.status],
    ["Motion preset", `${r.preset || "zoom-in"} (no AI model)`],
    ["Target", r.target || "instagram_reel"],
    ["Duration asked", `${r.duration || 6} s`],
    ["Headline", r.headline],
    ["Call to action", r.cta],
    ["Quoted / charged", `${generation.quote.usd} / ${generation.cost.usd}`],
    ["Warnings", generation.warnings.join(" · ")],
  ];
}

function requestRows(generation) {
  const r = generation.request || {};
  if (r.image_sha256) return videoRows(generation, r);
  return [
    ["Status", generation.status],
    ["Quality", r.quality],
    ["Style preset", r.style_preset ? session.styleName(r.style_preset) : null],
    ["Prompt enhancement", r.enhance_prompt === false ? "off" : "on"],
    ["Provider asked", r.provider ? session.providerName(r.provider) : "Auto"],
    ["Size asked", r.width && r.height ? `${r.width} × ${r.height}` : r.aspect_ratio],
    ["Negative prompt", r.negative_prompt],
    ["Steps", r.steps],
    ["Guidance", r.guidance_scale],
    ["Overlay text", r.overlay_text],
    ["Format", r.output_format],
    ["Variations", `${generation.num_succeeded} of ${generation.num_requested} succeeded`],
    ["Quoted / charged", `${generation.quote.usd} / ${generation.cost.usd}`],
    ["Notes", generation.warnings.map((w) => humanWarning(w, (id) => id.split("/").pop())).join(" · ")],
  ];
}

function inlineForm(label, control, buttonLabel, onSubmit) {
  const form = h("form", { class: "inline-form" },
    h("div", { class: "field field-grow" }, h("label", { for: control.id }, label), control),
    h("button", { class: "btn", type: "submit" }, buttonLabel));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    onSubmit();
  });
  return form;
}

/** The detail dialog of one asset; `ctx` as for openAssetDetail. */
class AssetDetail {
  constructor(asset, ctx) {
    this.ctx = ctx;
    this.api = ctx.api;
    this.current = asset;
    this.generation = null;
    const dialog = openDialog(assetLabel(asset), { className: "dialog-wide detail" });
    this.body = dialog.body;
    this.close = dialog.close;
    this.setTitle = dialog.setTitle;
    this.fav = h("button", { type: "button", class: "btn" });
    this.fav.addEventListener("click", () => this.save({ favourite: !this.current.favourite },
      this.current.favourite ? "Removed from favourites." : "Added to favourites."));
    this.tagList = h("ul", { class: "tag-editor", "aria-label": "Current tags" });
    this.collectionSelect = h("select", { id: uid("coll") });
    this.metaBox = h("div", { class: "detail-meta" });
    this.generationBox = h("div", { class: "generation-box" });
  }

  async save(change, message) {
    try {
      this.current = await this.api.updateAsset(this.current.id, change);
      this.ctx.onChanged(this.current);
      if (message) toast(message);
      this.render();
    } catch (error) {
      toastError(error, "Could not save");
    }
  }

  editForms() {
    const title = h("input", { type: "text", id: uid("title"), maxlength: "200", value: this.current.title || "" });
    const titleForm = inlineForm("Title", title, "Save title",
      () => this.save({ title: title.value.trim() || null }, "Title saved."));
    const tag = h("input", { type: "text", id: uid("newtag"), maxlength: "50", placeholder: "Add a tag" });
    const tagForm = inlineForm("Tags", tag, "Add tag", () => {
      const value = tag.value.trim().toLowerCase();
      if (!value || this.current.tags.includes(value)) return;
      tag.value = "";
      this.save({ tags: [...this.current.tags, value] }, `Tag “${value}” added.`);
    });
    const collectionForm = inlineForm("Add to collection", this.collectionSelect, "Add",
      () => this.addToCollection());
    return [titleForm, h("div", { class: "stack-tight" }, tagForm, this.tagList), collectionForm,
      this.removeFromCurrentButton()];
  }

  /** "Make a short video" from this image: the Transform panel (library/transform.js). */
  videoForm() {
    if (isVideo(this.current)) return null;
    return transformPanel(this.api, this.current, this.ctx.onAdded);
  }

  async addToCollection() {
    if (!this.collectionSelect.value) return;
    try {
      const updated = await this.api.addToCollection(this.collectionSelect.value, [this.current.id]);
      toast(`Added to “${updated.name}”.`);
      this.ctx.onChanged(this.current);
    } catch (error) {
      toastError(error, "Could not add to the collection");
    }
  }

  /** Leave the collection the library is filtered by (only shown then). */
  removeFromCurrentButton() {
    const collection = this.ctx.currentCollection;
    if (!collection) return null;
    const button = h("button", { type: "button", class: "btn btn-ghost" }, `Remove from “${collection.name}”`);
    button.addEventListener("click", () => this.dropCurrent(
      () => this.api.removeFromCollection(collection.id, this.current.id),
      `Removed from “${collection.name}”.`, "Could not remove from the collection"));
    return button;
  }

  /** Runs `action`, which takes the open image out of the current view, then closes. */
  async dropCurrent(action, done, failed) {
    try {
      await action();
      toast(done);
      this.ctx.onChanged(null, this.current.id);
      this.close();
    } catch (error) {
      toastError(error, failed);
    }
  }

  againButton() {
    const again = h("button", { type: "button", class: "btn btn-primary",
      hidden: !this.current.prompt || isVideo(this.current) },
      "Generate again with these settings");
    again.addEventListener("click", () => {
      const a = this.current;
      this.close();
      this.ctx.onGenerateAgain({
        request: this.generation ? this.generation.request
          : { prompt: a.prompt, template_id: a.template_id, provider: a.provider, model: a.model },
        prompt: a.prompt, template_id: a.template_id, seed: a.seed,
      });
    });
    return again;
  }

  optimizeButton() {
    const button = h("button", { type: "button", class: "btn" }, "Optimize for platforms");
    button.addEventListener("click", () => {
      const asset = this.current;
      this.close();
      openOptimizer(asset, { api: this.api, onDone: () => this.ctx.onChanged(asset) });
    });
    return button;
  }

  /** The Edit workspace (edit/workspace.js): masks, vendor and local edits, history. */
  editButton() {
    const button = h("button", { type: "button", class: "btn btn-primary" }, "Edit");
    button.addEventListener("click", () => {
      const asset = this.current;
      this.close();
      openEditWorkspace(asset, { api: this.api, onDone: () => this.ctx.onAdded() });
    });
    return button;
  }

  deleteButton() {
    const del = h("button", { type: "button", class: "btn btn-danger" }, "Delete");
    del.addEventListener("click", async () => {
      const sure = await confirmDialog("Delete this image?",
        "It is removed from your library and every collection.", "Delete", { danger: true });
      if (sure) {
        await this.dropCurrent(() => this.api.deleteAsset(this.current.id), "Image deleted.",
          "Could not delete");
      }
    });
    return del;
  }

  render() {
    const a = this.current;
    this.setTitle(assetLabel(a));
    this.fav.textContent = a.favourite ? "★ Favourite" : "☆ Add to favourites";
    this.fav.setAttribute("aria-pressed", String(a.favourite));
    replace(this.tagList, a.tags.length ? a.tags.map((tag) => {
      const remove = h("button", { type: "button", class: "tag-remove", "aria-label": `Remove tag ${tag}` }, "×");
      remove.addEventListener("click", () => this.save({ tags: a.tags.filter((t) => t !== tag) }, `Tag “${tag}” removed.`));
      return h("li", { class: "tag" }, tag, remove);
    }) : h("li", { class: "muted" }, "No tags yet"));
    const collections = this.ctx.collections;
    replace(this.collectionSelect,
      h("option", { value: "" }, collections.length ? "Choose a collection" : "No collections yet"),
      collections.map((c) => h("option", { value: c.id }, c.name)));
    replace(this.metaBox, facts([
      ["Prompt", a.prompt],
      ["Provider", a.provider ? session.providerName(a.provider) : null],
      ["Seed", a.seed],
      ["Platform", a.platform ? session.platformName(a.platform) : null],
      ["Size", `${a.width} × ${a.height} px`],
      ["File", `${a.media_type}, ${formatBytes(a.size_bytes)}`],
      ["Duration", a.duration_ms ? `${(a.duration_ms / 1000).toFixed(2)} s (${a.codec})` : null],
      ["Created", formatDate(a.created_at)],
    ]), h("details", { class: "explain-details" }, h("summary", {}, "Technical details"),
      facts([["Model id", a.model], ["Template id", a.template_id], ["Asset id", a.id],
        ["Generation id", a.generation_id]])));
  }

  async loadGeneration() {
    const box = this.generationBox;
    if (!this.current.generation_id) {
      replace(box, h("p", { class: "hint" }, "Uploaded image: no generation settings."));
      return;
    }
    replace(box, h("p", { class: "hint" }, "Loading the recorded request…"));
    try {
      this.generation = await this.api.generation(this.current.generation_id);
      replace(box, facts(requestRows(this.generation)));
    } catch (error) {
      replace(box, explainBlock(error, { compact: true }));
    }
  }

  show() {
    const a = this.current;
    const url = studioUrl(a.url);
    const download = downloadLink(url, fileName(a.title || a.prompt, a.seed, extensionOf(a.media_type)));
    this.render();
    this.body.append(h("div", { class: "detail-grid" },
      h("div", { class: "detail-media" },
        isVideo(a)
          ? h("video", { src: url, controls: true, playsinline: true, preload: "metadata",
            class: "detail-img detail-video", "aria-label": assetAlt(a) })
          : h("img", { src: url, alt: assetAlt(a), class: "detail-img" }),
        h("div", { class: "detail-actions" }, this.fav, download,
          isVideo(a) ? null : this.editButton(),
          isVideo(a) ? null : this.optimizeButton(), this.againButton())),
      h("div", { class: "detail-side" },
        this.editForms(),
        this.videoForm(),
        isVideo(a) ? null : upscalePanel(this.api, a, this.ctx.onAdded),
        h("h3", {}, "Details"), this.metaBox,
        h("h3", {}, "Generation settings"), this.generationBox,
        h("div", { class: "detail-danger" }, this.deleteButton()))));
    this.loadGeneration();
  }
}

/**
 * `ctx`: {api, collections, currentCollection, onChanged(asset|null, removedId), onGenerateAgain(recipe)}.
 */
export function openAssetDetail(asset, ctx) {
  new AssetDetail(asset, ctx).show();
}
