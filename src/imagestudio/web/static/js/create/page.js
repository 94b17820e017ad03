// The Create Studio: settings on the left, quote, results and history on the right.

import { debounce, h, replace } from "../dom.js";
import { plural } from "../plural.js";
import { session } from "../session.js";
import { toast } from "../components/toast.js";
import { isDown, onReconnect } from "../connection.js";
import { explainBlock } from "../errors/explain.js";
import { Advanced } from "./advanced.js";
import { Controls } from "./controls.js";
import { History } from "./history.js";
import { keepAtTop } from "./inview.js";
import { allowedTier, fitReason } from "./planfit.js";
import { PromptBox } from "./prompt.js";
import { attachRunning } from "./reattach.js";
import { QuotePanel } from "./quote.js";
import { Results } from "./results.js";
import { Store, capabilitiesOf, createBody, estimateBody, initialState, stateFromRecipe } from "./state.js";
import { TemplatePicker } from "./templates.js";
import { AutoNotes, vendorState } from "./vendor.js";

const QUOTE_KEYS = ["template", "quality", "provider", "model", "variations", "sizeMode", "ratio", "width", "height"];
const PREVIEW_KEYS = [...QUOTE_KEYS, "prompt", "enhance", "style"];
const CONTROL_KEYS = ["template", "quality", "provider", "model", "style", "variations", "sizeMode", "ratio"];

function touches(patch, keys) {
  return keys.some((key) => key in patch);
}

function panel(step, title, ...children) {
  const id = `step-${step}`;
  return h("section", { class: "panel", "aria-labelledby": id },
    h("h2", { class: "panel-title", id }, h("span", { class: "step" }, String(step)), title), ...children);
}

export class CreatePage {
  constructor(api, ctx) {
    this.api = api;
    this.ctx = ctx;
    this.quoteSeq = 0;
    this.previewSeq = 0;
    this.preflightSeq = 0;
    this.quote = null;
    this.quoteError = null;
    this.preflight = null;
    this.vendor = null;
    this.el = h("div", { class: "create-page" }, h("p", { class: "boot", role: "status" }, "Loading the studio…"));
    this.loaded = false;
    this.ready = this.load();
    onReconnect(() => this.recover());
  }

  load() {
    return this.init().then(() => { this.loaded = true; }, (error) => {
      replace(this.el, h("div", { class: "boot boot-error" }, explainBlock(error, { role: "alert" })));
      throw error;
    });
  }

  /** The server is reachable again: finish loading, or refresh what may be stale. */
  recover() {
    if (!this.loaded) {
      this.ready = this.load();
      this.ready.catch(() => {});
      return;
    }
    this.refreshQuote();
    this.refreshPreflight();
    this.history.load();
    this.reattach();
  }

  async init() {
    const limits = session.config.limits;
    const [providers, ratios, usage] = await Promise.all([
      this.api.providers(), this.api.aspectRatios(),
      session.config.features.usage ? this.api.usage().catch(() => null) : null,
    ]);
    this.providers = providers.providers;
    for (const p of this.providers) session.providerNames.set(p.id, p.name.replace(/ \(.*\)$/, ""));
    this.models = new Map(this.providers.flatMap((p) => p.models.map((m) => [m.id, m])));
    this.planLimits = usage ? usage.limits : null;
    this.autoNotes = new AutoNotes((id) => (this.models.get(id) ? this.models.get(id).name : id));
    const state = initialState();
    if (this.planLimits) state.quality = allowedTier(state.quality, this.planLimits) || state.quality;
    this.store = new Store(state);
    this.picker = new TemplatePicker(this.api, (template) => this.pickTemplate(template));
    await this.picker.load();
    const modelName = (id) => (this.models.get(id) ? this.models.get(id).name : id);
    this.prompt = new PromptBox(this.store, limits.prompt_max_chars);
    this.controls = new Controls(this.store, this.providers, ratios, limits, this.planLimits);
    this.controls.loadStylePreviews(this.api);
    this.advanced = new Advanced(this.store, limits);
    this.quotePanel = new QuotePanel({
      modelName, onFit: (patch) => this.fit(patch), onAction: (action) => this.nextStep(action),
    });
    this.results = new Results(this.api, {
      onUseSeed: (seed) => this.useSeed(seed), onUse: (v) => this.useVariation(v),
      onAction: (action) => this.nextStep(action), modelName,
      onBusy: () => this.updateActionBar(), onEnded: () => this.afterRun(),
    });
    this.history = new History(this.api, {
      modelName, onRestore: (item) => this.restore(item), onRunAgain: (item) => this.runAgain(item),
    });

    this.total = h("span", { class: "action-total", id: "action-total" }, "—");
    this.blocker = h("span", { class: "action-reason", id: "action-reason", "aria-live": "polite" });
    this.button = h("button", { class: "btn btn-primary btn-large", type: "submit", id: "generate",
      "aria-describedby": "action-reason", "aria-keyshortcuts": "Control+Enter",
      title: "Generate (Ctrl+Enter)" }, "Generate");
    const form = h("form", { class: "settings", "aria-label": "Create settings", novalidate: true },
      h("div", { class: "page-head" },
        h("h1", {}, "Create Studio"),
        h("p", { class: "muted" }, "Platform-ready images from one brief. The price is shown before you spend.")),
      panel(1, "Choose a template", this.picker.el),
      panel(2, "Describe the image", this.prompt.el),
      panel(3, "Settings", this.controls.quality.el, this.controls.providerEl, this.controls.styleEl,
        this.controls.variationsEl, this.controls.sizeEl, this.advanced.el),
      h("div", { class: "actionbar" },
        h("div", { class: "action-text" }, this.total, this.blocker), this.button));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.generate();
    });
    form.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      const tag = event.target.tagName;
      // Enter in a search box or number field must not start a paid generation;
      // Ctrl/⌘+Enter anywhere in the settings does, on purpose.
      if (event.ctrlKey || event.metaKey) {
        event.preventDefault();
        form.requestSubmit();
      } else if (tag === "INPUT" || tag === "SELECT") {
        event.preventDefault();
      }
    });
    replace(this.el, h("div", { class: "studio" }, form,
      h("div", { class: "output" }, this.quotePanel.el, this.results.el, this.history.el)));

    this.scheduleQuote = debounce(() => this.refreshQuote(), 200);
    this.schedulePreview = debounce(() => { this.refreshPreview(); this.refreshPreflight(); }, 400);
    this.store.subscribe((s, patch, source) => this.changed(s, patch, source));
    this.updateCaps();
    this.refreshQuote();
    this.refreshPreflight();
    this.updateActionBar();
    this.history.load();
  }

  get generating() {
    return Boolean(this.results && this.results.busy());
  }

  /** Follow this user's queued and running jobs not on screen yet (create/reattach.js). */
  async reattach() {
    if (this.reattaching) return;
    this.reattaching = true;
    try {
      await attachRunning(this.api, this.results, this.picker.templates);
    } finally {
      this.reattaching = false;
    }
  }

  /** A run ended (or was refused): refresh what it changed. */
  afterRun() {
    this.updateActionBar();
    this.ctx.refreshUsage();
    this.refreshPreflight();
    this.refreshVendor();
    this.history.load();
  }

  changed(state, patch, source) {
    if (source !== "ui" || touches(patch, CONTROL_KEYS)) this.controls.sync(state);
    this.prompt.sync(state);
    if (source !== "ui" || !touches(patch, ["prompt"])) this.advanced.sync(state);
    if (touches(patch, ["provider", "model"])) this.updateCaps();
    if (touches(patch, QUOTE_KEYS)) this.scheduleQuote();
    if (touches(patch, PREVIEW_KEYS)) this.schedulePreview();
    this.updateActionBar();
  }

  pickTemplate(template) {
    // Never touches provider or model: a template only suggests size, style and quality,
    // and only what the plan includes.
    const state = this.store.state;
    const patch = { template };
    if (template) {
      if (!state.qualityTouched) patch.quality = allowedTier(template.quality, this.planLimits) || state.quality;
      patch.sizeMode = "template";
    } else if (state.sizeMode === "template") {
      patch.sizeMode = "ratio";
    }
    this.store.set(patch, "template");
  }

  /** Apply a settings change offered by a "next step" button. */
  fit(patch) {
    this.store.set(patch, "fit");
    this.button.focus();
  }

  nextStep(action) {
    if (action === "retry") this.generate();
    else if (action === "draft") this.fit({ provider: "local", model: "" });
    else if (action === "auto") this.fit({ provider: "auto", model: "" });
  }

  /** The model that will run: the explicit choice, else the one the quote resolved. */
  effectiveModel() {
    const state = this.store.state;
    if (state.provider !== "auto" && state.model) return this.models.get(state.model) || null;
    return this.quote ? this.models.get(this.quote.model) || null : null;
  }

  updateCaps() {
    const model = this.effectiveModel();
    this.caps = capabilitiesOf(model);
    this.advanced.setCapabilities(this.caps, model ? model.name : "");
    this.prompt.setModelLimit(model ? model.max_prompt_chars : null, model ? model.name : "");
  }

  async refreshQuote() {
    const seq = ++this.quoteSeq;
    const sizeError = this.controls.sizeError(this.store.state);
    if (sizeError) {
      this.quote = null;
      this.quoteError = { message: sizeError };
      this.quotePanel.showError(this.quoteError);
      this.updateActionBar();
      return;
    }
    this.quotePanel.loading();
    try {
      const quote = await this.api.estimate(estimateBody(this.store.state));
      if (seq !== this.quoteSeq) return;
      this.quote = quote;
      this.quoteError = null;
      this.quotePanel.showQuote(quote, this.autoNotes.seen(quote, this.store.state.provider));
      this.updateCaps();
      this.refreshVendor();
    } catch (error) {
      if (seq !== this.quoteSeq) return;
      this.quote = null;
      this.quoteError = error;
      this.quotePanel.showError(error);
    }
    this.updateActionBar();
  }

  /** Ask whether the quoted provider is cooling down; re-check when its wait is over. */
  async refreshVendor() {
    clearTimeout(this.vendorTimer);
    let status = null;
    try {
      status = await this.api.providerStatus();
    } catch {
      status = null;
    }
    this.vendor = vendorState(this.quote, status, this.providers, this.models);
    this.quotePanel.showVendorState(this.vendor);
    this.updateActionBar();
    if (this.vendor) {
      this.vendorTimer = setTimeout(() => this.refreshVendor(), Math.min(this.vendor.seconds, 5) * 1000 + 200);
    }
  }

  canPlan() {
    const state = this.store.state;
    return state.prompt.trim() && !this.prompt.tooLong && !this.controls.sizeError(state) && !this.quoteError;
  }

  async refreshPreview() {
    const seq = ++this.previewSeq;
    const state = this.store.state;
    if (!state.enhance || !this.canPlan()) {
      this.prompt.showPreview(null);
      return;
    }
    try {
      const preview = await this.api.promptPreview(createBody(state, this.caps));
      if (seq === this.previewSeq) this.prompt.showPreview(preview);
    } catch (error) {
      if (seq === this.previewSeq) this.prompt.showPreview({ error: error.message });
    }
  }

  async refreshPreflight() {
    if (!session.config.features.preflight) return;
    const seq = ++this.preflightSeq;
    if (!this.canPlan()) {
      this.preflight = null;
      this.quotePanel.showPreflight(this.store.state.prompt.trim() && !this.prompt.tooLong
        ? null : { pending: "Type a prompt to check this request against your plan." });
      this.updateActionBar();
      return;
    }
    try {
      const result = await this.api.preflight(createBody(this.store.state, this.caps));
      if (seq !== this.preflightSeq) return;
      this.preflight = result;
      this.quotePanel.showPreflight(result, { limits: this.planLimits, draft: this.quote && !this.quote.ai_model });
    } catch (error) {
      if (seq !== this.preflightSeq) return;
      this.preflight = null;
      this.quotePanel.showPreflight({ error });
    }
    this.updateActionBar();
  }

  blockerText() {
    const state = this.store.state;
    if (this.generating) return "Generating…";
    if (isDown() || (this.quoteError && this.quoteError.code === "network_error")) {
      return "Waiting for the studio to come back (see the banner above).";
    }
    if (!state.prompt.trim()) return "Type a prompt to generate.";
    if (this.prompt.tooLong) return `Shorten the prompt by ${plural(state.prompt.length - this.prompt.limit, "character")} to generate.`;
    const sizeError = this.controls.sizeError(state);
    if (sizeError) return sizeError;
    if (this.quoteError) return "Change the settings first (see the cost panel).";
    if (this.vendor) return `${this.vendor.name} is recovering: try again in ${Math.ceil(this.vendor.seconds)} s, or use another provider.`;
    if (this.preflight && this.preflight.can_proceed === false) {
      const first = (this.preflight.reasons || [])[0];
      return first ? fitReason(first, this.preflight, this.planLimits).say : "Your plan does not allow this request.";
    }
    return "";
  }

  updateActionBar() {
    const n = this.store.state.variations;
    this.total.textContent = this.quote ? `${this.quote.total.usd} for ${plural(n, "image")}` : "No price yet";
    const reason = this.blockerText();
    this.blocker.textContent = reason;
    this.button.disabled = Boolean(reason);
    this.button.textContent = this.generating ? "Generating…" : `Generate ${plural(n, "image")}`;
  }

  async generate() {
    if (this.blockerText()) return;
    const state = this.store.state;
    const body = createBody(state, this.caps);
    const label = state.template ? state.template.name
      : `No template · ${this.quote ? `${this.quote.target.width} × ${this.quote.target.height} px` : "custom size"}`;
    const ratio = this.quote ? `${this.quote.target.width} / ${this.quote.target.height}` : "1 / 1";
    const running = this.results.run(body, label, ratio);
    this.updateActionBar();
    if (window.matchMedia("(max-width: 960px)").matches) keepAtTop(this.results.el, running);
    await running;
  }

  useSeed(seed) {
    this.store.set({ seed: String(seed) }, "seed");
    this.advanced.focusSeed();
    toast(`Seed ${seed} is set: generate again to get this image's twin with new settings.`);
  }

  /** "Use this one": the picked image's seed (and model) become the next run's starting point. */
  useVariation(variation) {
    const patch = {};
    if (variation.seed !== null && variation.seed !== undefined) patch.seed = String(variation.seed);
    if (variation.model && this.models.has(variation.model)) {
      patch.provider = this.models.get(variation.model).provider;
      patch.model = variation.model;
    }
    this.store.set(patch, "seed");
    if (patch.seed) this.advanced.open();
    toast(`Variation ${variation.index + 1} picked: its seed and model are set for your next run.`);
  }

  /** Settings of a past run (history or the library's "generate again"). */
  applyRecipe(recipe) {
    const patch = stateFromRecipe(recipe, this.picker.templates);
    this.picker.select(patch.template);
    this.store.set(patch, "recipe");
    if (patch.seed || patch.negativePrompt || patch.steps || patch.guidance || patch.overlayText) {
      this.advanced.open();
    }
  }

  restore(item) {
    this.applyRecipe({ request: item.request, template_id: item.template_id });
    toast("Settings restored from your history. Review them and press Generate.");
  }

  async runAgain(item) {
    this.applyRecipe({ request: item.request, template_id: item.template_id });
    this.scheduleQuote.cancel();
    this.schedulePreview.cancel();
    await this.refreshQuote();
    await this.refreshPreflight();
    const reason = this.blockerText();
    if (reason) toast(`Settings restored, but this cannot run yet: ${reason}`, { kind: "error" });
    else this.generate();
  }

  /** Settings handed over by the library ("generate again with these settings"). */
  receive(recipe) {
    this.ready.then(() => {
      this.applyRecipe(recipe);
      toast("Settings loaded from your library. Review them and press Generate.");
    }).catch(() => {});
  }

  /** Shown (first load, reload, or back from the library): attach to running jobs. */
  onShow() {
    this.ready.then(() => this.reattach()).catch(() => {});
  }
}
