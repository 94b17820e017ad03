// The mask brush of the Edit workspace: a canvas over the image, at the image's exact pixel
// size, that the pointer paints on (the brush is pointer-only; every other control is a
// keyboard-usable form control). Strokes are kept as data so "Undo stroke" and "Invert"
// redraw them; the overlay's alpha *is* the mask. The export is what the API takes: an
// opaque PNG of the image's size, white = the area to change, black = keep (Stability's
// convention; the server converts it for OpenAI).

import { h } from "../dom.js";

const INK = "#ff2e63"; // the overlay's colour (shown at half opacity by edit.css)

/** Draw one stroke's path on `ctx` (image pixels). */
function trace(ctx, stroke) {
  const [first, ...rest] = stroke.points;
  ctx.lineWidth = stroke.size;
  ctx.beginPath();
  ctx.moveTo(first.x, first.y);
  if (!rest.length) ctx.lineTo(first.x + 0.01, first.y); // a dot: a round cap of a tiny line
  for (const p of rest) ctx.lineTo(p.x, p.y);
  ctx.stroke();
}

export class MaskBrush {
  /** `onChange()` runs after each finished stroke, undo, clear and invert. */
  constructor(onChange) {
    this.onChange = onChange;
    this.strokes = [];
    this.inverted = false;
    this.size = 40; // on-screen pixels; converted to image pixels per stroke
    this.erasing = false;
    this.feather = 0; // image pixels of blur at export
    this.drawing = null;
    this.canvas = h("canvas", { class: "edit-mask", role: "img",
      "aria-label": "Mask: paint over the area to change (pointer only)" });
    // the brush's outline under the pointer (the workspace puts it in the stage)
    this.ring = h("div", { class: "edit-brush-ring", "aria-hidden": "true", hidden: true });
    this.canvas.addEventListener("pointerdown", (event) => this.down(event));
    this.canvas.addEventListener("pointermove", (event) => { this.hover(event); this.move(event); });
    this.canvas.addEventListener("pointerleave", () => { this.ring.hidden = true; });
    this.canvas.addEventListener("pointerup", () => this.up());
    this.canvas.addEventListener("pointercancel", () => this.up());
  }

  /** Start over on an image of `width × height` pixels (strokes are dropped). */
  reset(width, height) {
    this.canvas.width = width;
    this.canvas.height = height;
    this.strokes = [];
    this.inverted = false;
    this.redraw();
    if (this.sync) this.sync();
  }

  /** Whether anything is marked for change (what the export would show white). */
  get marked() {
    return this.inverted || this.strokes.some((s) => !s.erase);
  }

  point(event) {
    const box = this.canvas.getBoundingClientRect();
    const scale = this.canvas.width / box.width;
    return { x: (event.clientX - box.left) * scale, y: (event.clientY - box.top) * scale, scale };
  }

  hover(event) {
    const box = this.canvas.getBoundingClientRect();
    this.ring.hidden = false;
    this.ring.style.setProperty("left", `${event.clientX - box.left}px`);
    this.ring.style.setProperty("top", `${event.clientY - box.top}px`);
    this.ring.style.setProperty("--size", `${this.size}px`);
  }

  down(event) {
    if (event.button !== 0) return;
    event.preventDefault();
    this.canvas.setPointerCapture(event.pointerId);
    const { x, y, scale } = this.point(event);
    this.drawing = { points: [{ x, y }], size: Math.max(1, this.size * scale), erase: this.erasing };
    this.strokes.push(this.drawing);
    this.redraw();
  }

  move(event) {
    if (!this.drawing) return;
    const { x, y } = this.point(event);
    this.drawing.points.push({ x, y });
    this.redraw(this.drawing);
  }

  up() {
    if (!this.drawing) return;
    this.drawing = null;
    this.onChange();
  }

  undo() {
    if (!this.strokes.length) return;
    this.strokes.pop();
    this.redraw();
    this.onChange();
  }

  clear() {
    this.strokes = [];
    this.inverted = false;
    this.redraw();
    if (this.sync) this.sync();
    this.onChange();
  }

  invert(on) {
    this.inverted = on;
    this.redraw();
    this.onChange();
  }

  /** Paint the overlay: alpha 1 where the mask marks a change. `only`: just that stroke. */
  redraw(only = null) {
    const ctx = this.canvas.getContext("2d");
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = INK;
    if (!only) {
      ctx.globalCompositeOperation = "source-over";
      ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
      if (this.inverted) {
        ctx.fillStyle = INK;
        ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
      }
    }
    for (const stroke of only ? [only] : this.strokes) {
      // painting adds to the mask and erasing removes, the other way round when inverted
      const adds = stroke.erase === this.inverted;
      ctx.globalCompositeOperation = adds ? "source-over" : "destination-out";
      trace(ctx, stroke);
    }
    ctx.globalCompositeOperation = "source-over";
  }

  /** The mask as the API takes it: a PNG Blob of the image's size, white = change. */
  toBlob() {
    const { width, height } = this.canvas;
    const white = h("canvas", { width: String(width), height: String(height) });
    const wctx = white.getContext("2d");
    wctx.drawImage(this.canvas, 0, 0);
    wctx.globalCompositeOperation = "source-in"; // keep the overlay's alpha, make it white
    wctx.fillStyle = "#ffffff";
    wctx.fillRect(0, 0, width, height);
    const out = h("canvas", { width: String(width), height: String(height) });
    const ctx = out.getContext("2d");
    ctx.fillStyle = "#000000";
    ctx.fillRect(0, 0, width, height);
    if (this.feather > 0) ctx.filter = `blur(${this.feather}px)`;
    ctx.drawImage(white, 0, 0);
    return new Promise((resolve, reject) => out.toBlob(
      (blob) => (blob ? resolve(blob) : reject(new Error("the mask could not be exported"))),
      "image/png"));
  }
}

/** The brush's controls: size, paint/erase, feather, invert, undo and clear (all keyboard). */
export function brushControls(brush, uidOf) {
  const size = h("input", { type: "range", id: uidOf("bsize"), min: "4", max: "200", step: "2",
    value: String(brush.size) });
  const sizeOut = h("output", { for: size.id, class: "range-out" }, `${brush.size} px`);
  size.addEventListener("input", () => {
    brush.size = Number(size.value);
    sizeOut.textContent = `${size.value} px`;
  });
  const feather = h("input", { type: "range", id: uidOf("feather"), min: "0", max: "32", step: "1",
    value: "0" });
  const featherOut = h("output", { for: feather.id, class: "range-out" }, "0 px");
  feather.addEventListener("change", () => {
    brush.feather = Number(feather.value);
    featherOut.textContent = `${feather.value} px`;
    brush.onChange();
  });
  const mode = ["Paint", "Erase"].map((label) => {
    const radio = h("input", { type: "radio", name: uidOf("bmode"), id: uidOf("bm"), value: label,
      checked: label === "Paint" });
    radio.addEventListener("change", () => { brush.erasing = radio.value === "Erase"; });
    return h("label", { class: "check-row" }, radio, ` ${label}`);
  });
  const invert = h("input", { type: "checkbox", id: uidOf("invert") });
  invert.addEventListener("change", () => brush.invert(invert.checked));
  const undo = h("button", { type: "button", class: "btn btn-small" }, "Undo stroke");
  undo.addEventListener("click", () => brush.undo());
  const clear = h("button", { type: "button", class: "btn btn-small" }, "Clear mask");
  clear.addEventListener("click", () => brush.clear());
  brush.sync = () => { invert.checked = brush.inverted; };
  return h("fieldset", { class: "edit-brush" }, h("legend", {}, "Mask brush"),
    h("p", { class: "hint" }, "Paint over the area to change with the pointer; white in the mask = change."),
    h("div", { class: "edit-brush-mode", role: "group", "aria-label": "Brush mode" }, mode),
    h("div", { class: "field" }, h("label", { for: size.id }, "Brush size"), size, sizeOut),
    h("div", { class: "field" }, h("label", { for: feather.id }, "Feather"), feather, featherOut),
    h("label", { class: "check-row" }, invert, " Invert mask"),
    h("div", { class: "btn-row" }, undo, clear));
}
