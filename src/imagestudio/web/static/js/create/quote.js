// The live cost quote (POST /estimate-cost) and, where the server has it, the pre-flight
// answer (POST /preflight): remaining allowance and the reasons a request cannot run.

import { h, pluralize, replace } from "../dom.js";
import { preflightRows } from "../usage.js";

export class QuotePanel {
  constructor() {
    this.body = h("div", { class: "quote-body" });
    this.credits = h("div", { class: "preflight", hidden: true });
    this.el = h("section", { class: "card quote", "aria-labelledby": "quote-title", "aria-live": "polite" },
      h("div", { class: "card-head" },
        h("h2", { id: "quote-title" }, "Cost before you generate"),
        h("span", { class: "badge", id: "quote-state" }, "Live")),
      this.body, this.credits);
    this.stateBadge = this.el.querySelector("#quote-state");
    replace(this.body, h("p", { class: "muted" }, "Pick settings to see the price."));
  }

  loading() {
    this.stateBadge.textContent = "Updating…";
    this.el.setAttribute("aria-busy", "true");
  }

  showQuote(quote) {
    this.el.removeAttribute("aria-busy");
    this.stateBadge.textContent = quote.price_confirmed ? "Live" : "Estimate";
    const each = `${quote.per_image.usd} each`;
    const target = quote.target;
    const generation = quote.generation;
    const model = quote.ai_model ? `${quote.model_name} (${quote.model})`
      : [`${quote.model_name} `, h("span", { class: "badge badge-warn" }, "free draft, not AI")];
    const rows = [
      ["Model", model],
      ["Quality", quote.quality],
      ["Output", `${target.width} × ${target.height} px · ${target.aspect_ratio}`],
    ];
    if (generation.width !== target.width || generation.height !== target.height) {
      rows.push(["Generated at", `${generation.width} × ${generation.height} px, then fitted`]);
    }
    if (quote.fallbacks.length) rows.push(["If it fails", `falls back to ${quote.fallbacks.join(", ")}`]);
    replace(this.body,
      h("div", { class: "quote-total" },
        h("span", { class: "quote-amount", id: "quote-amount" }, quote.total.usd),
        h("span", { class: "quote-sub" }, `for ${pluralize(quote.num_images, "image")} · ${each}`)),
      h("dl", { class: "facts facts-compact" }, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
      quote.price_confirmed ? null
        : h("p", { class: "hint" }, "This model's price is not confirmed by the vendor yet."),
      this.warnings(quote.warnings),
      h("p", { class: "hint" }, "Failed images are not charged."));
  }

  showError(error) {
    this.el.removeAttribute("aria-busy");
    this.stateBadge.textContent = "Cannot quote";
    replace(this.body, h("p", { class: "form-error", role: "alert" }, error.message));
  }

  warnings(list) {
    if (!list || !list.length) return null;
    return h("ul", { class: "warnings", "aria-label": "Warnings" },
      list.map((w) => h("li", {}, w)));
  }

  /** `result`: the pre-flight answer, null to hide, or {pending: text}. */
  showPreflight(result) {
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
      replace(this.credits, h("p", { class: "form-error" }, `Credit check failed: ${result.error}`));
      return;
    }
    const ok = Boolean(result.can_proceed);
    const reasons = result.reasons || [];
    const rows = preflightRows(result);
    replace(this.credits,
      h("h3", {}, "Your plan"),
      h("p", { class: ok ? "status-ok" : "status-bad", id: "preflight-verdict" },
        ok ? "✓ Your plan covers this request." : "✕ Your plan does not allow this request:"),
      reasons.length ? h("ul", { class: "reasons", "aria-label": "Why it cannot run" },
        reasons.map((r) => h("li", { dataset: { code: r.code } }, r.message))) : null,
      rows.length ? h("dl", { class: "facts facts-compact" },
        rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])) : null);
  }
}
