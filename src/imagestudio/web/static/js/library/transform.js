// The Transform panel of an image's detail view: a free local motion preset or a vendor
// model (Veo, WAN) with a prompt; duration and video target; a live quote from
// POST /transform/quote (the price the job will hold); then the job's progress from its
// event stream, a Cancel button, and an HTML5 player for the result. A video of this image
// still being made when the panel opens (after a page reload) is followed the same way.

import { debounce, h, replace, studioUrl, uid } from "../dom.js";
import { toastError } from "../components/toast.js";

const PRESETS = ["zoom-in", "zoom-out", "pan-left", "pan-right", "pan-up", "pan-down",
  "ken-burns", "push"];
const LOCAL = "local/motion-presets";

function field(label, control, hint = null) {
  return h("div", { class: "stack-tight" }, h("label", { for: control.id }, label), control,
    hint);
}

/** The panel for image `asset`; `onAdded()` runs when a clip lands in the library. */
export function transformPanel(api, asset, onAdded) {
  const model = h("select", { id: uid("vmodel") },
    h("option", { value: LOCAL, selected: true }, "Motion preset (free, no AI)"));
  const preset = h("select", { id: uid("preset") }, PRESETS.map((p) => h("option", { value: p }, p)));
  const prompt = h("textarea", { id: uid("vprompt"), rows: "2", maxlength: "2000",
    placeholder: "What should happen, e.g. “the camera circles the bottle”" });
  const target = h("select", { id: uid("target") }, h("option", { value: "instagram_reel" }, "Instagram Reel"));
  const duration = h("input", { type: "number", id: uid("duration"), min: "1", max: "60", step: "0.5", value: "6" });
  const headline = h("input", { type: "text", id: uid("headline"), maxlength: "200" });
  const quote = h("p", { class: "hint", "aria-live": "polite", "data-role": "quote" });
  const status = h("p", { class: "hint", role: "status" });
  const progress = h("progress", { max: "1", value: "0", hidden: true, "aria-label": "Video progress" });
  const cancel = h("button", { type: "button", class: "btn btn-secondary", hidden: true }, "Cancel video");
  const player = h("div", {});
  const button = h("button", { type: "submit", class: "btn" }, "Make video");
  const presetRow = field("Motion", preset);
  const promptRow = field("Prompt", prompt);
  const headlineRow = field("Headline (optional)", headline);
  const about = h("p", { class: "hint" }, "A motion preset over this image, rendered here: free, no AI model.");
  const form = h("form", { class: "stack-tight", "aria-label": "Make a short video" },
    h("h3", {}, "Make a short video"), about, field("Made by", model), presetRow, promptRow,
    field("Video target", target), field("Seconds", duration), headlineRow, quote, button,
    progress, cancel, status, player);
  let models = {};

  const isLocal = () => model.value === LOCAL;
  function showFields() {
    presetRow.hidden = !isLocal();
    headlineRow.hidden = !isLocal();
    promptRow.hidden = isLocal();
    const chosen = models[model.value];
    about.textContent = isLocal()
      ? "A motion preset over this image, rendered here: free, no AI model."
      : `${chosen.description} Lengths: ${chosen.durations_s.join(", ")} s.`;
    if (chosen && chosen.durations_s.length && !chosen.durations_s.includes(Number(duration.value))) {
      duration.value = String(chosen.durations_s[chosen.durations_s.length - 1]);
    }
  }
  function fields() {
    const local = isLocal();
    return { model: model.value, target: target.value, duration: duration.value,
      preset: local ? preset.value : undefined, prompt: local ? undefined : prompt.value.trim(),
      headline: local ? headline.value.trim() : undefined };
  }

  let asking = null;
  let running = false; // a job of this panel is being followed: Make video waits for it
  const refreshQuote = debounce(async () => {
    if (asking) asking.abort();
    asking = new AbortController();
    const { headline: _h, ...body } = fields();
    body.duration = Number(body.duration);
    if (!body.prompt) delete body.prompt;
    try {
      const q = await api.transformQuote(body, asking.signal);
      const price = q.quote.micros === 0 ? "Free" : q.quote.usd;
      quote.textContent = `${price} for ${q.seconds} s · ${q.label}` +
        (q.check.can_proceed ? "" : ` · ${q.check.reasons.map((r) => r.message).join("; ")}`);
      button.disabled = running || !q.check.can_proceed;
    } catch (error) {
      if (error.code === "aborted") return;
      quote.textContent = error.message;
      button.disabled = true;
    }
  }, 250);

  api.videoModels().then((list) => {
    // the panel animates this image: text-to-video models are for the API and CLI
    const usable = list.filter((m) => m.takes_image !== false);
    models = Object.fromEntries(usable.map((m) => [m.id, m]));
    replace(model, usable.map((m) => h("option", { value: m.id, selected: m.id === LOCAL,
      disabled: !m.available }, m.ai_generated
      ? `${m.name}${m.available ? "" : " (not configured)"}` : "Motion preset (free, no AI)")));
    showFields();
  }).catch(() => {});
  api.videoTargets().then((targets) => {
    replace(target, targets.map((t) => h("option", { value: t.id, selected: t.id === "instagram_reel" },
      `${t.name} (${t.width}×${t.height})`)));
    refreshQuote();
  }).catch(() => {});
  model.addEventListener("change", () => { showFields(); refreshQuote(); });
  for (const control of [preset, target, duration, prompt]) {
    control.addEventListener("input", refreshQuote);
    control.addEventListener("change", refreshQuote);
  }
  showFields();

  async function follow(job) {
    progress.hidden = false;
    progress.value = 0;
    cancel.hidden = false;
    cancel.disabled = job.cancel_requested;
    cancel.onclick = () => {
      cancel.disabled = true;
      status.textContent = "Cancelling…";
      api.cancelJob(job.id).catch((error) => {
        cancel.disabled = false;
        toastError(error, "Could not cancel");
      });
    };
    await api.followJob(job.id, ({ event, data }) => {
      if (event === "unit_started") {
        const share = data.progress || 0;
        progress.value = share;
        // Only a local render reports frames; a vendor job says what it is.
        status.textContent = share > 0
          ? `Rendering… ${Math.round(share * 100)} %` : `Working… (${data.message})`;
      } else if (event === "unit_done") {
        progress.value = 1;
        status.textContent = "Saving to your library…";
      }
    });
    return api.job(job.id);
  }

  /** Follow `job` to its end and show the clip (or why there is none). */
  async function run(job, note = "Queued…") {
    running = true;
    button.disabled = true;
    status.textContent = note;
    replace(player);
    try {
      const ended = await follow(job);
      if (ended.state !== "succeeded") {
        status.textContent = ended.state === "cancelled"
          ? `Cancelled: ${ended.cost.micros ? `${ended.cost.usd} charged (the vendor had started)` : "nothing was charged"}.`
          : `The video could not be made: ${ended.error ? ended.error.message : "unknown error"}`;
        return;
      }
      const made = ended.result;
      status.textContent = `Video ready: ${made.video.duration_s} s, ${made.video.width}×${made.video.height}` +
        (made.warnings.length ? ` (${made.warnings.join("; ")})` : "") + ". It is in your library.";
      replace(player, h("video", { src: studioUrl(made.url), controls: true, playsinline: true,
        class: "detail-img detail-video", "aria-label": "The new video" }));
      if (onAdded) onAdded();
    } catch (error) {
      status.textContent = "";
      toastError(error, "Could not make the video");
    } finally {
      running = false;
      button.disabled = false;
      progress.hidden = true;
      cancel.hidden = true;
    }
  }

  /** A video of this image still being made (the page was reloaded, or the panel closed
   * and opened again): show it live instead of a blank form. */
  async function reattach() {
    const { jobs } = await api.jobs({ state: ["queued", "running"], kind: "video", limit: 20 });
    for (const job of jobs) { // newest first
      const recorded = await api.generation(job.id).catch(() => null);
      if (recorded && recorded.request.source_asset_id === asset.id) {
        await run(job, "Still making the video you started from this image…");
        return;
      }
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    status.textContent = "Queued…";
    let job;
    try {
      job = await api.transform({ asset_id: asset.id, ...fields() });
    } catch (error) {
      button.disabled = false;
      status.textContent = "";
      toastError(error, "Could not make the video");
      return;
    }
    await run(job);
  });
  reattach().catch(() => {}); // not fatal: the library lists the clip once it is made
  return form;
}
