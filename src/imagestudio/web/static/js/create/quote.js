// The live cost quote (POST /estimate-cost), the vendor's state (cooling down after an
// outage) and, where the server has it, the pre-flight answer (POST /preflight): what the
// plan leaves after this request, and what to change when it does not fit.

import { h, replace } from "../dom.js";
import { plural } from "../plural.js";
import { preflightRows } from "../usage.js";
import { explainBlock } from "../errors/explain.js";
import { fitReason } from "./planfit.js";
import { NO_KEYS, humanWarning } from "./wording.js";

const NO_KEYS_DISMISSED = "imagestudio.noKeysNoticeDismissed";

function factList(rows) {
  return h("dl", { class: "facts facts-compact" }, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

export class QuotePanel {
  /** `modelName(id)`; `onFit(patch)` applies a settings change; `onAction(id)` runs an error's next step. */
  constructor({ modelName, onFit, onAction }) {
    this.modelName = modelName;
    this.onFit = onFit;
    this.onAction = onAction;
    this.body = h("div", { class: "quote-body" });
    this.notice = h("div", { class: "quote-notices" });
    this.vendor = h("div", { class: "vendor-state", hidden: true });
    this.credits = h("div", { class: "preflight", hidden: true });
    this.el = h("section", { class: "card quote", "aria-labelledby": "quote-title" },
      h("div", { class: "card-head" },
        h("h2", { id: "quote-title" }, "Cost before you generate"),
        h("span", { class: "badge", id: "quote-state" }, "Live")),
      this.notice, this.vendor, this.body, this.credits);
    this.stateBadge = this.el.querySelector("#quote-state");
    replace(this.body, h("p", { class: "muted" }, "Pick settings to see the price."));
  }

  loading() {
    this.stateBadge.textContent = "Updating…";
    this.el.setAttribute("aria-busy", "true");
  }

  /** `change`: {from, to, per_image} when Auto now picks another model than last time. */
  showQuote(quote, change = null) {
    this.el.removeAttribute("aria-busy");
    this.stateBadge.textContent = quote.price_confirmed ? "Live" : "Estimate";
    const target = quote.target;
    const generation = quote.generation;
    const model = quote.ai_model ? quote.model_name
      : [`${quote.model_name} `, h("span", { class: "badge badge-warn" }, "free draft, not AI")];
    const rows = [
      ["Model", model],
      ["Quality", quote.quality[0].toUpperCase() + quote.quality.slice(1)],
      ["Output", `${target.width} × ${target.height} px · ${target.aspect_ratio}`],
    ];
    if (generation.width !== target.width || generation.height !== target.height) {
      rows.push(["Made at", `${generation.width} × ${generation.height} px, then fitted`]);
    }
    if (quote.fallbacks.length) {
      rows.push(["If it fails", `falls back to ${quote.fallbacks.map((id) => this.modelName(id)).join(", ")}`]);
    }
    const warnings = (quote.warnings || []).filter((w) => !NO_KEYS.test(w));
    this.renderNotices(quote, change);
    replace(this.body,
      h("div", { class: "quote-total" },
        h("span", { class: "quote-amount", id: "quote-amount" }, quote.total.usd),
        h("span", { class: "quote-sub" }, `for ${plural(quote.num_images, "image")} · ${quote.per_image.usd} each`)),
      factList(rows),
      quote.price_confirmed ? null
        : h("p", { class: "hint" }, "This model's price is not confirmed by the vendor yet."),
      this.warnings(warnings),
      h("p", { class: "hint" }, "Failed images are not charged."),
      this.quoteDetails(quote));
  }

  quoteDetails(quote) {
    return h("details", { class: "explain-details" }, h("summary", {}, "Details"),
      factList([["Model id", quote.model], ["Fallback ids", quote.fallbacks.join(", ") || "none"],
        ...(quote.warnings || []).map((w) => ["Server note", w])]));
  }

  renderNotices(quote, change) {
    const items = [];
    if (change) {
      items.push(h("p", { class: "notice notice-info", id: "auto-change", role: "status" },
        `Auto now uses ${change.to} (${change.per_image} per image) instead of ${change.from}: `
        + "a provider was set up on this studio since you last looked. Choose the free draft below to keep drafts free."));
    }
    const noKeys = (quote.warnings || []).find((w) => NO_KEYS.test(w));
    if (noKeys && localStorage.getItem(NO_KEYS_DISMISSED) !== "1") {
      const dismiss = h("button", { type: "button", class: "btn btn-small btn-ghost" }, "Got it");
      const notice = h("div", { class: "notice notice-warn", id: "no-keys" },
        h("p", {}, humanWarning(noKeys, this.modelName)),
        h("p", {}, "Ask your admin to set up an AI provider to make AI images."), dismiss);
      dismiss.addEventListener("click", () => {
        localStorage.setItem(NO_KEYS_DISMISSED, "1");
        notice.remove();
      });
      items.push(notice);
    }
    replace(this.notice, items);
  }

  showError(error) {
    this.el.removeAttribute("aria-busy");
    this.stateBadge.textContent = "Cannot quote";
    if (!error.code) {
      replace(this.body, h("p", { class: "form-error", role: "alert" }, error.message));
      return;
    }
    replace(this.body, explainBlock(error, { onAction: this.onAction, role: "alert" }));
  }

  warnings(list) {
    if (!list || !list.length) return null;
    return h("ul", { class: "warnings", "aria-label": "Warnings" },
      list.map((w) => h("li", {}, humanWarning(w, this.modelName))));
  }

  /** `state`: null (all well) or {name, seconds, alternatives: [{label, patch}]}. */
  showVendorState(state) {
    this.vendor.hidden = !state;
    if (!state) return;
    const at = new Date(Date.now() + state.seconds * 1000)
      .toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
    const buttons = state.alternatives.map((alt) => {
      const button = h("button", { type: "button", class: "btn btn-small" }, alt.label);
      button.addEventListener("click", () => this.onFit(alt.patch));
      return button;
    });
    replace(this.vendor, h("div", { class: "notice notice-warn", role: "status" },
      h("p", {}, h("strong", {}, `${state.name} is recovering from an outage. `),
        `Images sent to it now would fail; it is tried again in about ${Math.ceil(state.seconds)} s (at ${at}).`),
      h("p", {}, h("strong", {}, "Next step: "), buttons.length
        ? "use another provider now, or wait and generate again." : "wait a moment and generate again."),
      buttons.length ? h("div", { class: "btn-row" }, buttons) : null));
  }

  /** `result`: the pre-flight answer, null to hide, or {pending: text}; `ctx`: {limits, draft}. */
  showPreflight(result, ctx = {}) {
    if (!result) {
      this.credits.hidden = true;
      return;
    }
    this.credits.hidden = false;
    if (result.pending) {
      replace(this.credits, h("p", { class: "hint" }, result.pending));
      return;
    }
    if (result.error) {
      replace(this.credits, h("h3", {}, "Your plan"), explainBlock(result.error, { compact: true }));
      return;
    }
    const ok = Boolean(result.can_proceed);
    const reasons = (result.reasons || []).map((r) => ({ reason: r, fit: fitReason(r, result, ctx.limits) }));
    const rows = preflightRows(result);
    const drafts = ctx.draft && rows.some(([label]) => label === "Images")
      ? h("p", { class: "hint", id: "draft-quota" },
        "Free offline drafts count toward your monthly images, like AI images (they never cost credit).")
      : null;
    replace(this.credits,
      h("h3", {}, "Your plan"),
      h("p", { class: ok ? "status-ok" : "status-bad", id: "preflight-verdict" },
        ok ? "✓ Your plan covers this request." : "✕ This request does not fit your plan:"),
      reasons.length ? h("ul", { class: "reasons", "aria-label": "What does not fit" },
        reasons.map(({ reason, fit }) => this.reasonItem(reason, fit))) : null,
      rows.length ? factList(rows) : null, drafts);
  }

  reasonItem(reason, fit) {
    const button = fit.action ? h("button", { type: "button", class: "btn btn-small" }, fit.action.label) : null;
    if (button) button.addEventListener("click", () => this.onFit(fit.action.patch));
    return h("li", { dataset: { code: reason.code } },
      h("p", { class: "explain-say" }, fit.say),
      h("p", { class: "explain-next" }, h("strong", {}, "Next step: "), fit.next), button,
      h("details", { class: "explain-details" }, h("summary", {}, "Details"), h("p", {}, reason.message)));
  }
}
