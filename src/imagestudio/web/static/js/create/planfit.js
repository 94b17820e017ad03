// The pre-flight answer in a marketer's words: what does not fit the plan, what would,
// and the button that makes it fit. Used by the plan box and the Generate bar.

import { session } from "../session.js";
import { plural } from "../plural.js";

const TIER_NAMES = { draft: "Draft", standard: "Standard", premium: "Premium" };

function resetDate(reason) {
  const found = /resets (\S+)/.exec(reason.message || "");
  if (!found) return "the next monthly reset";
  const date = new Date(found[1]);
  return Number.isNaN(date.getTime()) ? "the next monthly reset"
    : date.toLocaleDateString(undefined, { month: "long", day: "numeric" });
}

/** The best tier `plan limits` allow below `tier` (null when none). */
export function allowedTier(tier, limits) {
  if (!limits || limits.quality_tiers.includes(tier)) return tier;
  for (const candidate of ["standard", "draft"]) if (limits.quality_tiers.includes(candidate)) return candidate;
  return null;
}

/**
 * {say, next, action: {label, patch} | null} for one refusal `reason` of `preflight`.
 * `patch` is a settings change that makes the request fit.
 */
export function fitReason(reason, preflight, limits) {
  const plan = preflight.plan ? preflight.plan.name : "your";
  const asked = preflight.num_images;
  const left = reason.remaining;
  if (reason.code === "insufficient_credits") {
    const local = session.mode === "local";
    return {
      say: `Not enough credit: this request costs ${preflight.quote.usd} and your credit is ${preflight.balance.usd}.`,
      next: local
        ? "Add credit on the studio's computer: imagestudio credits grant local 10 — or use the free offline draft."
        : "Ask your admin to add credit, or use the free offline draft.",
      action: { label: "Use the free draft", patch: { provider: "local", model: "" } },
    };
  }
  if (reason.code === "quota_exceeded" && reason.limit === "spend_cap") {
    return {
      say: `This would pass the ${plan} plan's monthly spending cap (${preflight.spend_cap ? preflight.spend_cap.usd : ""}).`,
      next: `Lower the variations or use the free offline draft; the cap resets on ${resetDate(reason)}.`,
      action: { label: "Use the free draft", patch: { provider: "local", model: "" } },
    };
  }
  if (reason.code === "quota_exceeded") {
    if (left > 0) {
      return {
        say: `Only ${plural(left, "image")} left this month on the ${plan} plan; this request makes ${asked}.`,
        next: `Lower the variations to ${left}.`,
        action: { label: `Lower to ${left}`, patch: { variations: left } },
      };
    }
    return {
      say: `This month's images on the ${plan} plan are used up.`,
      next: `Your allowance comes back on ${resetDate(reason)}; ask your admin about a bigger plan meanwhile.`,
      action: null,
    };
  }
  if (reason.code === "rate_limited") {
    return { say: "You are generating faster than your plan allows.", next: "Wait a few seconds and try again.", action: null };
  }
  if (reason.limit === "max_variations") {
    return {
      say: `The ${plan} plan makes up to ${plural(left, "variation")} per request; this one asks for ${asked}.`,
      next: `Lower the variations to ${left}.`,
      action: { label: `Lower to ${left}`, patch: { variations: left } },
    };
  }
  if (reason.limit === "quality_tiers") {
    const tier = allowedTier("premium", limits) || "draft";
    return {
      say: `The ${plan} plan does not include this quality.`,
      next: `Use ${TIER_NAMES[tier] || tier} quality instead.`,
      action: { label: `Use ${TIER_NAMES[tier] || tier}`, patch: { quality: tier, qualityTouched: true } },
    };
  }
  if (reason.limit === "models" || reason.limit === "providers") {
    return {
      say: `The ${plan} plan does not include the chosen model.`,
      next: "Switch to Auto: it picks the best model your plan includes.",
      action: { label: "Switch to Auto", patch: { provider: "auto", model: "" } },
    };
  }
  if (reason.limit === "max_pixels") {
    return {
      say: `This size is larger than the ${plan} plan allows.`,
      next: "Choose a smaller size or another template.",
      action: null,
    };
  }
  return { say: `The ${plan} plan does not allow this request.`, next: "Ask your admin about your plan.", action: null };
}
