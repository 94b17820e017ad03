// Plans and credits as the API reports them: GET /usage (the header line) and
// POST /preflight (the Create Studio's "Your plan" box). Money is {micros, usd}; a null
// limit means unlimited.

import { plural } from "./plural.js";

/** "image_generation" → "image generation". */
export function kindLabel(kind) {
  return String(kind).replace(/_/g, " ");
}

// The studio's pages only generate images; other kinds of quota stay on /usage.
const SHOWN_KIND = "image_generation";

/** The header line, e.g. "Pro · $4.20 credit · 7 of 10 image generations left". */
export function usageSummary(usage) {
  if (!usage || !usage.plan) return "";
  const parts = [usage.plan.name || usage.plan.id];
  if (usage.balance) parts.push(`${usage.balance.usd} credit`);
  const quota = (usage.quotas || {})[SHOWN_KIND];
  if (quota && quota.limit !== null && quota.remaining !== null) {
    parts.push(`${quota.remaining} of ${plural(quota.limit, kindLabel(SHOWN_KIND))} left`);
  }
  return parts.join(" · ");
}

/** Rows [label, value] for the pre-flight box: balance, quotas and the spend cap. Never a
 * negative amount: what does not fit says so (the reasons say what would). */
export function preflightRows(preflight) {
  const rows = [];
  if (preflight.plan) rows.push(["Plan", preflight.plan.name || preflight.plan.id]);
  if (preflight.balance && preflight.balance_after) {
    rows.push(["Credit", preflight.balance_after.micros < 0
      ? `${preflight.balance.usd} now · not enough for ${preflight.quote.usd}`
      : `${preflight.balance.usd} now → ${preflight.balance_after.usd} after`]);
  }
  const asked = preflight.operation || SHOWN_KIND;
  for (const [kind, quota] of Object.entries(preflight.quotas || {})) {
    if (kind !== asked) continue;
    const label = kind === SHOWN_KIND ? "Images" : `${kindLabel(kind)[0].toUpperCase()}${kindLabel(kind).slice(1)}s`;
    if (quota.limit === null) {
      rows.push([label, `${quota.used} used this period · unlimited`]);
    } else if (quota.remaining_after < 0) {
      const left = Math.max(0, quota.limit - quota.used);
      rows.push([label, `${quota.used} of ${quota.limit} used · ${left} left, not enough for ${preflight.num_images}`]);
    } else {
      rows.push([label, `${quota.used} of ${quota.limit} used · ${quota.remaining_after} left after this`]);
    }
  }
  if (preflight.spend_cap && preflight.spend_after) {
    rows.push(["Spend cap", preflight.spend_after.micros > preflight.spend_cap.micros
      ? `${preflight.spend_cap.usd} a month · this request would pass it`
      : `${preflight.spend_after.usd} of ${preflight.spend_cap.usd} after this`]);
  }
  return rows;
}
