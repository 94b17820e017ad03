// One line about the plan's remaining allowance, from GET /usage (shape still evolving,
// so only well-known fields are read and anything else is ignored).

function pick(obj, names) {
  for (const name of names) {
    if (obj && obj[name] !== undefined && obj[name] !== null) return obj[name];
  }
  return null;
}

function amount(value) {
  if (value && typeof value === "object") return pick(value, ["usd", "display", "value", "count"]);
  return value;
}

export function usageSummary(usage) {
  if (!usage || typeof usage !== "object") return "";
  const credits = amount(pick(usage, ["remaining_credits", "credits_remaining"]));
  const images = amount(pick(usage, ["remaining_images", "images_remaining"]));
  const budget = amount(pick(usage, ["remaining_budget", "budget_remaining", "remaining_usd"]));
  const plan = pick(usage, ["plan", "plan_name", "tier"]);
  const parts = [];
  if (plan) parts.push(typeof plan === "object" ? pick(plan, ["name", "id"]) : plan);
  if (credits !== null) parts.push(`${credits} credits left`);
  if (images !== null) parts.push(`${images} images left`);
  if (budget !== null) parts.push(`${budget} left`);
  if (!parts.length && usage.remaining && typeof usage.remaining === "object") {
    for (const [name, value] of Object.entries(usage.remaining)) {
      if (value !== null && typeof value !== "object") parts.push(`${value} ${name.replace(/_/g, " ")} left`);
    }
  }
  return parts.filter(Boolean).join(" · ");
}

/** Lines describing a pre-flight answer's remaining amounts. */
export function remainingLines(preflight) {
  const lines = [];
  for (const [name, value] of Object.entries(preflight || {})) {
    if (!name.startsWith("remaining")) continue;
    if (value === null || value === undefined) continue;
    const label = name.replace(/^remaining_?/, "").replace(/_/g, " ") || "remaining";
    if (typeof value === "object") {
      for (const [inner, innerValue] of Object.entries(value)) {
        const shown = innerValue && typeof innerValue === "object" ? amount(innerValue) : innerValue;
        if (shown !== null && shown !== undefined) lines.push([`${label} ${inner}`.trim().replace(/_/g, " "), shown]);
      }
    } else {
      lines.push([label, value]);
    }
  }
  return lines;
}
