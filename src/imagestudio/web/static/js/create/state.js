// The Create Studio's settings and how they become API request bodies.

export class Store {
  constructor(initial) {
    this.state = initial;
    this.listeners = new Set();
  }

  set(patch, source = null) {
    Object.assign(this.state, patch);
    for (const listener of this.listeners) listener(this.state, patch, source);
  }

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export function initialState() {
  return {
    template: null, // the template object from /templates, or null for a custom size
    prompt: "",
    enhance: true,
    quality: "standard",
    qualityTouched: false, // an explicit choice is never overwritten by a template default
    provider: "auto",
    model: "", // "" = the best model of the provider for the quality tier
    style: "", // "" = the template's style (or none)
    variations: 1,
    sizeMode: "ratio", // "template" | "ratio" | "custom"
    ratio: "1:1",
    width: 1080,
    height: 1080,
    negativePrompt: "",
    seed: "",
    steps: "",
    guidance: "",
    overlayText: "",
    outputFormat: "png",
  };
}

/** What the chosen (or auto-resolved) model accepts; all true when it is not known yet. */
export function capabilitiesOf(model) {
  if (!model) {
    return { known: false, negative: true, seed: true, steps: null, guidance: null, style: true };
  }
  const params = model.params || {};
  const usable = (range) => (range && range.max > range.min ? range : null);
  return {
    known: true,
    negative: Boolean(params.negative_prompt),
    seed: Boolean(model.seed),
    steps: usable(params.steps),
    guidance: usable(params.guidance),
    style: Boolean(params.style_preset),
  };
}

function sizeFields(state) {
  if (state.sizeMode === "ratio") return { aspect_ratio: state.ratio };
  if (state.sizeMode === "custom") {
    return { width: Number(state.width) || null, height: Number(state.height) || null };
  }
  return {};
}

function choiceFields(state) {
  const out = {};
  if (state.template) out.template_id = state.template.id;
  if (state.provider !== "auto") out.provider = state.provider;
  if (state.provider !== "auto" && state.model) out.model = state.model;
  return out;
}

/** The POST /estimate-cost body. */
export function estimateBody(state) {
  return {
    ...choiceFields(state),
    ...sizeFields(state),
    quality: state.quality,
    num_images: state.variations,
  };
}

/** The POST /create (and /preflight, /ui/prompt-preview) body. */
export function createBody(state, caps) {
  const body = {
    prompt: state.prompt.trim(),
    ...choiceFields(state),
    ...sizeFields(state),
    quality: state.quality,
    num_variations: state.variations,
    enhance_prompt: state.enhance,
    output_format: state.outputFormat,
  };
  if (state.style) body.style_preset = state.style;
  if (caps.negative && state.negativePrompt.trim()) body.negative_prompt = state.negativePrompt.trim();
  if (caps.seed && state.seed !== "") body.seed = Number(state.seed);
  if (caps.steps && state.steps !== "") body.steps = Number(state.steps);
  if (caps.guidance && state.guidance !== "") body.guidance_scale = Number(state.guidance);
  if (state.overlayText.trim()) body.overlay_text = state.overlayText.trim();
  return body;
}

/** Settings from a recorded request (the library's "generate again"). */
export function stateFromRecipe(recipe, templates) {
  const request = recipe.request || {};
  const template = templates.find((t) => t.id === (request.template_id || recipe.template_id)) || null;
  const patch = {
    template,
    prompt: request.prompt || recipe.prompt || "",
    enhance: request.enhance_prompt !== undefined ? request.enhance_prompt : true,
    quality: request.quality || (template ? template.quality : "standard"),
    qualityTouched: Boolean(request.quality),
    provider: request.provider || "auto",
    model: request.model || "",
    style: request.style_preset || "",
    variations: request.num_variations || 1,
    negativePrompt: request.negative_prompt || "",
    seed: recipe.seed !== null && recipe.seed !== undefined ? String(recipe.seed) : "",
    steps: request.steps !== undefined && request.steps !== null ? String(request.steps) : "",
    guidance: request.guidance_scale !== undefined && request.guidance_scale !== null
      ? String(request.guidance_scale) : "",
    overlayText: request.overlay_text || "",
    outputFormat: request.output_format || "png",
  };
  if (request.width && request.height) {
    Object.assign(patch, { sizeMode: "custom", width: request.width, height: request.height });
  } else if (request.aspect_ratio) {
    Object.assign(patch, { sizeMode: "ratio", ratio: request.aspect_ratio });
  } else {
    patch.sizeMode = template ? "template" : "ratio";
  }
  return patch;
}
