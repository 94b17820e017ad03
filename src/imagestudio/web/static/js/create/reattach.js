// Runs that outlive the page: after a reload (or in another tab) the Create page finds the
// user's image jobs still queued or running (GET /jobs?state=queued&state=running) and
// follows each live again; the ones that ended meanwhile are in the history.

/** The heading and card shape of a run of `request` (a recorded create request). */
export function runLook(request, templates) {
  const template = templates.find((t) => t.id === request.template_id) || null;
  if (template) return { label: template.name, ratio: `${template.width} / ${template.height}` };
  if (request.width && request.height) {
    return { label: `No template · ${request.width} × ${request.height} px`, ratio: `${request.width} / ${request.height}` };
  }
  const ratio = request.aspect_ratio || "1:1";
  return { label: `No template · ${ratio}`, ratio: ratio.replace(":", " / ") };
}

/** Attach `results` to every queued or running image job of this user it does not show
 * yet, oldest first (the newest ends on top). Failing to list them is not fatal: the
 * history lists every run once it has ended. */
export async function attachRunning(api, results, templates) {
  let jobs;
  try {
    ({ jobs } = await api.jobs({ state: ["queued", "running"], kind: "image_generation", limit: 20 }));
  } catch {
    return;
  }
  for (const job of jobs.reverse()) {
    if (results.has(job.id)) continue;
    const recorded = await api.generation(job.id).catch(() => null);
    // Checked again after the await: a run submitted meanwhile may have claimed it.
    if (results.has(job.id)) continue;
    results.attach(job, { ...runLook(recorded ? recorded.request : {}, templates), total: job.progress.total });
  }
}
