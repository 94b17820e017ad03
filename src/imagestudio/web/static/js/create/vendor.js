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
