// What each edit operation asks for, as data: the picker's names and groups, and each
// operation's fields (the API's EditRequest fields: docs/edit.md). `fieldsFor()` builds
// the labelled controls; `values()` reads what the user set, as form values for the API.

import { h, uid } from "../dom.js";

export const OP_NAMES = {
  inpaint: "Inpaint: repaint the mask",
  erase: "Erase what the mask covers",
  "search-and-replace": "Search and replace",
  "search-and-recolor": "Search and recolour",
  "remove-background": "Remove background",
  "replace-background-and-relight": "Replace background and relight",
  outpaint: "Outpaint: extend",
  instruct: "Edit by instruction",
  sketch: "From a sketch: a new image on its lines",
  structure: "From a structure: a new image on its layout",
  style: "In this style: a new image in its look",
  crop: "Crop",
  rotate: "Rotate",
  flip: "Flip",
  resize: "Resize",
  adjust: "Brightness, contrast, colour",
  sharpen: "Sharpen",
  blur: "Blur",
  background: "Fill behind a cut-out",
};

const SIDE = { kind: "number", min: 0, max: 2000, step: 8, value: 0 };
const UNIT = { kind: "range", min: 0, max: 1, step: 0.05 };
const PRESETS = ["", "enhance", "anime", "photographic", "digital-art", "comic-book",
  "fantasy-art", "line-art", "analog-film", "neon-punk", "isometric", "low-poly", "origami",
  "modeling-compound", "cinematic", "3d-model", "pixel-art", "tile-texture"];
const CONTROL = [["prompt", "What to make", { kind: "textarea", required: true }],
  ["control_strength", "How closely to follow the image", { ...UNIT, value: 0.7 }],
  ["negative_prompt", "Avoid (optional)", { kind: "text" }],
  ["style_preset", "Style preset", { kind: "select", options: PRESETS }]];
const LEVEL = { kind: "range", min: 0, max: 2, step: 0.05, value: 1 };

/** Per operation: [name, label, spec]; `value` may be a function of the asset. */
const FIELDS = {
  inpaint: [["prompt", "What to paint there", { kind: "textarea", required: true }],
    ["negative_prompt", "Avoid (optional)", { kind: "text" }]],
  erase: [],
  "search-and-replace": [["search_prompt", "Find", { kind: "text", required: true }],
    ["prompt", "Replace it with", { kind: "textarea", required: true }]],
  "search-and-recolor": [["select_prompt", "What to recolour", { kind: "text", required: true }],
    ["prompt", "New colour or look", { kind: "textarea", required: true }]],
  "remove-background": [["format", "File format", { kind: "select", options: ["png", "webp"] }]],
  "replace-background-and-relight": [
    ["background_prompt", "New background", { kind: "textarea", required: true }],
    ["light_source_direction", "Light from", { kind: "select",
      options: ["", "left", "right", "above", "below"] }]],
  outpaint: [["prompt", "What to add (optional)", { kind: "textarea" }],
    ["left", "Add left (px)", SIDE], ["right", "Add right (px)", SIDE],
    ["up", "Add top (px)", SIDE], ["down", "Add bottom (px)", SIDE]],
  instruct: [["prompt", "Instruction", { kind: "textarea", required: true }]],
  sketch: CONTROL,
  structure: CONTROL,
  style: [["prompt", "What to make", { kind: "textarea", required: true }],
    ["fidelity", "How closely to follow the style", { ...UNIT, value: 0.5 }],
    ["aspect_ratio", "Aspect ratio", { kind: "select",
      options: ["1:1", "16:9", "21:9", "3:2", "5:4", "4:5", "2:3", "9:16", "9:21"] }],
    ["negative_prompt", "Avoid (optional)", { kind: "text" }],
    ["style_preset", "Style preset", { kind: "select", options: PRESETS }]],
  crop: [["x", "Left (px)", { kind: "number", min: 0, value: 0 }],
    ["y", "Top (px)", { kind: "number", min: 0, value: 0 }],
    ["width", "Width (px)", { kind: "number", min: 1, value: (a) => a.width }],
    ["height", "Height (px)", { kind: "number", min: 1, value: (a) => a.height }]],
  rotate: [["degrees", "Degrees (counter-clockwise)", { kind: "number", min: -360, max: 360,
    step: 1, value: 90 }]],
  flip: [["direction", "Direction", { kind: "select", options: ["horizontal", "vertical"] }]],
  resize: [["width", "Width (px)", { kind: "number", min: 1, max: 8192, value: (a) => a.width }],
    ["height", "Height (px)", { kind: "number", min: 1, max: 8192, value: (a) => a.height }]],
  adjust: [["brightness", "Brightness", LEVEL], ["contrast", "Contrast", LEVEL],
    ["saturation", "Saturation", LEVEL],
    ["warmth", "Warmth (cool – warm)", { kind: "range", min: -1, max: 1, step: 0.05, value: 0 }]],
  sharpen: [["amount", "Strength", { kind: "range", min: 0.1, max: 5, step: 0.1, value: 1 }]],
  blur: [["radius", "Radius (px)", { kind: "range", min: 0.5, max: 50, step: 0.5, value: 2 }]],
  background: [["colour", "Colour", { kind: "colour", value: "#ffffff" }],
    ["blurred", "A blurred copy instead of the colour", { kind: "check" }],
    ["radius", "Blur radius (px)", { kind: "range", min: 0.5, max: 50, step: 0.5, value: 12 }]],
};

function control(name, spec, asset) {
  const id = uid(`ef-${name}`);
  const value = typeof spec.value === "function" ? spec.value(asset) : spec.value;
  const attrs = { id, name, "data-field": name };
  if (spec.kind === "textarea") {
    return h("textarea", { ...attrs, rows: "2", maxlength: "10000", required: spec.required });
  }
  if (spec.kind === "select") {
    return h("select", attrs, spec.options.map((o) => h("option", { value: o }, o || "Unchanged")));
  }
  if (spec.kind === "check") return h("input", { ...attrs, type: "checkbox" });
  const type = { text: "text", number: "number", range: "range", colour: "color" }[spec.kind];
  return h("input", { ...attrs, type, min: spec.min, max: spec.max, step: spec.step,
    value: value === undefined ? null : String(value), required: spec.required,
    maxlength: type === "text" ? "10000" : null });
}

/** The labelled controls of operation `op` for `asset`. */
export function fieldsFor(op, asset) {
  return (FIELDS[op] || []).map(([name, label, spec]) => {
    const input = control(name, spec, asset);
    if (spec.kind === "check") return h("label", { class: "check-row" }, input, ` ${label}`);
    const out = spec.kind === "range"
      ? h("output", { for: input.id, class: "range-out" }, input.value) : null;
    if (out) input.addEventListener("input", () => { out.textContent = input.value; });
    return h("div", { class: "field" }, h("label", { for: input.id }, label), input, out);
  });
}

/** The form values the user set in `root` for `op` (empty text and defaults left out). */
export function values(root, op) {
  const found = {};
  for (const [name, , spec] of FIELDS[op] || []) {
    const input = root.querySelector(`[data-field="${name}"]`);
    if (!input) continue;
    if (spec.kind === "check") {
      if (input.checked) found[name] = "true";
      continue;
    }
    const value = input.value.trim();
    if (value !== "" && !(spec.kind === "number" && SIDE === spec && value === "0")) found[name] = value;
  }
  if (op === "background" && found.blurred) {
    delete found.colour; // no colour: the API puts a blurred copy behind the cut-out
  } else if (op === "background") {
    delete found.radius;
  }
  delete found.blurred;
  return found;
}
