// The Edit workspace (opened from an image's detail): the image with a mask brush, the
// operation picker (GET /edit/operations: vendor edits and the free local ones) and its
// fields, the live quote, Run (POST /edit, multipart with the drawn mask), failures
// explained, before/after of the last change and the history strip with revert.

import { h, replace, studioUrl, uid } from "../dom.js";
import { openDialog } from "../components/dialog.js";
import { toast } from "../components/toast.js";
import { explainBlock } from "../errors/explain.js";
import { session } from "../session.js";
import { assetLabel } from "../library/grid.js";
import { comparePanel } from "./compare.js";
import { OP_NAMES, fieldsFor, values } from "./fields.js";
import { historyStrip, lineage, versionLabel } from "./history.js";
import { MaskBrush, brushControls } from "./maskbrush.js";
import { editQuote } from "./quote.js";

/** "$0.05", "$0.042": micro-USD as the vendor's price is written. */
function usd(micros) {
  return `$${(micros / 1e6).toFixed(micros % 10_000 === 0 ? 2 : 3)}`;
}

function price(op) {
  if (!op.available) return ` (${op.reason})`;
  return op.price_micros === 0 ? " · free" : ` · ${usd(op.price_micros)}`;
}

class EditWorkspace {
  constructor(asset, ctx) {
    this.api = ctx.api;
    this.onDone = ctx.onDone || (() => {});
    this.current = asset;
    this.versions = [asset];
    this.ops = {};
    const dialog = openDialog(`Edit: ${assetLabel(asset)}`, { className: "dialog-wide editor" });
    this.body = dialog.body;
    this.brush = new MaskBrush(() => this.changed());
    this.image = h("img", { class: "edit-image", alt: "", draggable: "false" });
    this.stage = h("div", { class: "edit-stage" }, this.image, this.brush.canvas, this.brush.ring);
    this.picker = h("select", { id: uid("edit-op") });
    this.fields = h("div", { class: "edit-fields" });
    this.brushBox = brushControls(this.brush, uid);
    this.quoteLine = h("p", { class: "edit-quote", "aria-live": "polite" });
    this.run = h("button", { type: "submit", class: "btn btn-primary" }, "Run edit");
    this.status = h("div", { class: "edit-status", "aria-live": "polite" });
    this.quote = editQuote(this.api, this.quoteLine, this.run, (id) => this.opName(id));
    this.compare = comparePanel();
    this.history = historyStrip((version, index) => this.revertTo(version, index));
  }

  get op() { return this.ops[this.picker.value]; }

  /** "Remove background by Stability AI", "Blur, on this studio": no ids on screen. */
  opName(id) {
    const o = this.ops && this.ops[id];
    if (!o) return id;
    const name = OP_NAMES[o.op] || o.label;
    return o.provider === "local" ? `${name}, on this studio`
      : `${name} by ${session.providerName(o.provider)}`;
  }

  /** What Run sends (and the quote asks about): fields, and the mask when the op takes one. */
  async form() {
    const op = this.op;
    const form = new FormData();
    form.append("asset_id", this.current.id);
    form.append("op", op.op);
    form.append("engine", op.id);
    for (const [name, value] of Object.entries(values(this.fields, op.op))) form.append(name, value);
    // a required mask goes even when nothing is painted, so the API names the problem
    if (op.mask === "required" || (op.mask === "optional" && this.brush.marked)) {
      form.append("mask", await this.brush.toBlob(), "mask.png");
    }
    return form;
  }

  choose() {
    const op = this.op;
    replace(this.fields, fieldsFor(op.op, this.current));
    this.brushBox.hidden = op.mask === "none";
    this.brush.canvas.hidden = op.mask === "none";
    this.refresh();
  }

  refresh() { this.quote.refresh(() => this.form()); }

  /** The user changed a setting or the mask: an earlier failure no longer applies. */
  changed() {
    if (this.status.querySelector(".edit-error")) replace(this.status);
    this.refresh();
  }

  async loadOperations() {
    const list = await this.api.editOperations();
    this.ops = Object.fromEntries(list.map((o) => [o.id, o]));
    const group = (label, items) => h("optgroup", { label }, items.map((o) => h("option",
      { value: o.id, disabled: !o.available }, `${OP_NAMES[o.op] || o.label}${price(o)}`)));
    const vendor = list.filter((o) => o.provider !== "local");
    replace(this.picker, group("AI edits (paid, by a vendor)", vendor),
      group("Quick fixes (free, on this studio)", list.filter((o) => o.provider === "local")));
    const first = vendor.find((o) => o.available && o.op === "inpaint") || list.find((o) => o.available);
    this.picker.value = first.id;
    this.choose();
  }

  /** Show `asset` as the version being edited; the mask starts over at its size. */
  show(asset) {
    this.current = asset;
    this.image.src = studioUrl(asset.url);
    this.image.alt = `The image being edited, ${asset.width} × ${asset.height} px`;
    this.stage.style.setProperty("--ar", String(asset.width / asset.height));
    this.brush.reset(asset.width, asset.height);
    if (!this.op) return;
    // the prompt and settings stay for the next edit; a crop box or size follows the image
    if (["crop", "resize"].includes(this.op.op)) this.choose();
    else this.refresh();
  }

  async loadHistory() {
    try {
      const found = await this.api.versions(this.current.id);
      this.versions = lineage(found, this.current);
      this.history.render(this.versions, this.current.id, found.truncated);
    } catch (error) {
      this.history.say(`The history could not be loaded: ${error.message}`);
    }
  }

  /** After an edit or a revert: compare the new current version with the one before. */
  async advance(made, before) {
    const asset = await this.api.asset(made);
    this.show(asset);
    await this.loadHistory();
    this.compare.show(before, asset, { before: versionLabel(before, this.versions),
      after: versionLabel(asset, this.versions) });
    this.onDone();
  }

  fail(error) {
    const field = error.details && error.details.field;
    replace(this.status, h("div", { role: "alert", class: "edit-error" },
      field ? h("p", { class: "explain-say" }, `${error.message}.`) : null,
      explainBlock(error)));
  }

  async submit() {
    this.run.disabled = true;
    const before = this.current;
    const paid = this.op.price_micros > 0;
    replace(this.status, h("p", { class: "hint" },
      paid ? `Editing with ${this.op.label}…` : "Editing…"));
    try {
      const result = await this.api.edit(await this.form());
      const cost = result.cost_micros ? `${usd(result.cost_micros)} charged` : "free";
      replace(this.status, h("p", { class: "edit-done" },
        `Done: a new version, ${result.width} × ${result.height} (${cost}).`),
      result.warnings.length ? h("ul", { class: "warnings" }, result.warnings.map((w) => h("li", {}, w))) : null);
      toast("Edited: the new version is in your library.");
      await this.advance(result.asset_id, before);
    } catch (error) {
      this.fail(error);
    } finally {
      this.run.disabled = false;
    }
  }

  async revertTo(version, index) {
    const before = this.current;
    try {
      const made = await this.api.revert(this.current.id, version.id);
      replace(this.status, h("p", { class: "edit-done" },
        `Reverted to version ${index + 1}: a new version copies it (nothing was deleted).`));
      await this.advance(made.id, before);
    } catch (error) {
      this.fail(error);
    }
  }

  open() {
    const form = h("form", { class: "edit-controls", "aria-label": "Edit settings" },
      h("div", { class: "field" }, h("label", { for: this.picker.id }, "Operation"), this.picker),
      this.fields, this.brushBox, this.quoteLine, this.run, this.status);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    form.addEventListener("input", (event) => {
      if (event.target !== this.picker && !this.brushBox.contains(event.target)) this.changed();
    });
    this.picker.addEventListener("change", () => {
      replace(this.status);
      this.choose();
    });
    this.body.append(h("div", { class: "edit-layout" },
      h("div", { class: "edit-main" },
        this.stage, this.compare.element),
      form), this.history.element);
    this.show(this.current);
    this.loadHistory();
    this.loadOperations().catch((error) => this.fail(error));
  }
}

/** `ctx`: {api, onDone()} (onDone runs after each new version). */
export function openEditWorkspace(asset, ctx) {
  new EditWorkspace(asset, ctx).open();
}
