// Vendor health for the Create Studio: is the provider that would serve this request
// cooling down after an outage, and which other choices could serve it now.

const LOCAL = "local";

/**
 * The vendor state to show for `quote` given GET /ui/provider-status, or null when the
 * provider is healthy. `providers`: GET /providers's list (models with their tiers).
 */
export function vendorState(quote, status, providers, models) {
  if (!quote || !status) return null;
  const model = models.get(quote.model);
  const providerId = model ? model.provider : null;
  const row = status.providers.find((p) => p.id === providerId);
  if (!row || row.state !== "cooling_down" || row.retry_in_s <= 0) return null;
  const provider = providers.find((p) => p.id === providerId);
  const cooling = new Set(status.providers.filter((p) => p.state === "cooling_down").map((p) => p.id));
  const alternatives = providers
    .filter((p) => p.available && p.id !== providerId && p.id !== LOCAL && !cooling.has(p.id))
    .slice(0, 2)
    .map((p) => ({ label: `Use ${p.name}`, patch: { provider: p.id, model: "" } }));
  alternatives.push({ label: "Use the free draft", patch: { provider: LOCAL, model: "" } });
  return {
    providerId,
    name: provider ? provider.name : providerId,
    seconds: row.retry_in_s,
    alternatives,
  };
}

const AUTO_MODEL = "imagestudio.autoModel.";

/** Remembers (per browser) which model Auto picked for each quality, to say when it changes. */
export class AutoNotes {
  constructor(modelName) {
    this.modelName = modelName;
    this.last = null;
  }

  /** {from, to, per_image} when Auto now picks another model than last time, else null. */
  seen(quote, provider) {
    if (provider !== "auto") return null;
    const key = AUTO_MODEL + quote.quality;
    const before = localStorage.getItem(key);
    localStorage.setItem(key, quote.model);
    if (!before || before === quote.model) return this.last && this.last.key === key ? this.last : null;
    this.last = { key, from: this.modelName(before), to: this.modelName(quote.model), per_image: quote.per_image.usd };
    return this.last;
  }
}
