// The studio's public REST API, as the page uses it. Every call goes to this origin.

import { reportDown, reportUp } from "./connection.js";

const BASE = "/api/image-studio";

/** An API failure: `message` is the API's own one-line message. */
export class ApiError extends Error {
  constructor(status, code, message, details = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

async function failure(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const error = body && body.error;
  if (error && typeof error.message === "string") {
    return new ApiError(response.status, error.code || "error", error.message, error.details);
  }
  return new ApiError(response.status, "http_error", `the server answered ${response.status}`);
}

const TERMINAL_EVENTS = ["succeeded", "failed", "cancelled"];

/** The fields of one Server-Sent Events block ("data" lines joined by newlines). */
function sseFields(block) {
  const fields = {};
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const at = line.indexOf(":");
    const name = at < 0 ? line : line.slice(0, at);
    let value = at < 0 ? "" : line.slice(at + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    fields[name] = name === "data" && fields.data !== undefined ? `${fields.data}\n${value}` : value;
  }
  return fields;
}

/** Wait `ms`, or reject with code "aborted" when `signal` aborts first. */
function pause(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    if (signal) {
      signal.addEventListener("abort", () => {
        clearTimeout(timer);
        reject(new ApiError(0, "aborted", "the request was cancelled"));
      }, { once: true });
    }
  });
}

function queryString(query) {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === null || value === undefined || value === "") continue;
    if (Array.isArray(value)) for (const one of value) params.append(key, String(one));
    else params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

export class Api {
  /** `getKey()` gives the bearer key; `onUnauthorized(error)` runs on any 401. */
  constructor(getKey, onUnauthorized) {
    this.getKey = getKey;
    this.onUnauthorized = onUnauthorized;
  }

  async call(method, path, { body, form, query, key, raw = false, signal = null, headers: extra = {} } = {}) {
    const headers = { Accept: raw ? "*/*" : "application/json", ...extra };
    const bearer = key || this.getKey();
    if (bearer) headers.Authorization = `Bearer ${bearer}`;
    const init = { method, headers, credentials: "omit", cache: "no-store" };
    if (signal) init.signal = signal;
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if (form !== undefined) init.body = form; // multipart: the browser sets the boundary
    let response;
    try {
      response = await fetch(BASE + path + queryString(query), init);
    } catch (error) {
      if (signal && signal.aborted) throw new ApiError(0, "aborted", "the request was cancelled");
      reportDown();
      throw new ApiError(0, "network_error", "the studio server cannot be reached");
    }
    reportUp();
    if (!response.ok) {
      const error = await failure(response);
      if (response.status === 401 && !key && this.onUnauthorized) this.onUnauthorized(error);
      throw error;
    }
    if (raw) return response;
    if (response.status === 204) return null;
    return response.json();
  }

  // UI support
  config() { return this.call("GET", "/ui/config"); }
  session(key) { return this.call("GET", "/ui/session", { key }); }
  localSession() { return this.call("POST", "/ui/local-session", { body: {} }); }
  promptPreview(body) { return this.call("POST", "/ui/prompt-preview", { body }); }
  generation(id) { return this.call("GET", `/ui/generations/${encodeURIComponent(id)}`); }
  providerStatus() { return this.call("GET", "/ui/provider-status"); }
  history(limit = 12) { return this.call("GET", "/ui/history", { query: { limit } }); }
  stylePreviews() { return this.call("GET", "/ui/style-previews"); }

  // Catalog
  templates(platform) { return this.call("GET", "/templates", { query: { platform } }); }
  searchTemplates(query) { return this.call("GET", "/templates/search", { query: { query } }); }
  recommendTemplates(useCase, platform) {
    return this.call("GET", "/templates/recommend", { query: { use_case: useCase, platform } });
  }
  providers() { return this.call("GET", "/providers"); }
  aspectRatios() { return this.call("GET", "/aspect-ratios"); }

  // Studio
  estimate(body) { return this.call("POST", "/estimate-cost", { body }); }
  preflight(body) { return this.call("POST", "/preflight", { body }); }
  usage() { return this.call("GET", "/usage"); }
  /** POST /create as a job (`Prefer: respond-async`): resolves to the queued job (202). */
  createJob(body) {
    return this.call("POST", "/create", { body, headers: { Prefer: "respond-async" } });
  }
  videoTargets() { return this.call("GET", "/video-targets"); }
  videoModels() { return this.call("GET", "/video-models"); }
  transformQuote(body, signal = null) {
    return this.call("POST", "/transform/quote", { body, signal });
  }
  transform(fields) {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) {
      if (value !== null && value !== undefined && value !== "") form.append(name, String(value));
    }
    return this.call("POST", "/transform", { form });
  }

  // Jobs
  job(id) { return this.call("GET", `/jobs/${encodeURIComponent(id)}`); }
  /** GET /jobs: `query.state` may be a list (["queued", "running"]); newest first. */
  jobs(query) { return this.call("GET", "/jobs", { query }); }
  cancelJob(id) { return this.call("POST", `/jobs/${encodeURIComponent(id)}/cancel`); }

  /** Follow a job's Server-Sent Events with fetch (EventSource cannot send the bearer
   * key): calls `onEvent({id, event, data})` once per event, in order, and resolves after
   * the terminal one. A stream that drops (network, server restart) is resumed with
   * `Last-Event-ID` after the server's `retry` delay; a 4xx answer rejects; aborting
   * `signal` rejects with code "aborted". */
  async followJob(id, onEvent, signal = null) {
    const seen = { last: 0, retryMs: 2000 };
    for (;;) {
      try {
        if (await this.readEvents(id, seen, onEvent, signal)) return;
      } catch (error) {
        if (signal && signal.aborted) throw new ApiError(0, "aborted", "the request was cancelled");
        const status = error instanceof ApiError ? error.status : 0;
        if (status >= 400 && status < 500) throw error;
      }
      await pause(seen.retryMs, signal);
    }
  }

  /** One connection to the event stream; true once the terminal event was handled. */
  async readEvents(id, seen, onEvent, signal) {
    const headers = seen.last ? { "Last-Event-ID": String(seen.last) } : {};
    const response = await this.call("GET", `/jobs/${encodeURIComponent(id)}/events`,
      { raw: true, signal, headers });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return false;
        buffer += value.replace(/\r\n?/g, "\n");
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const fields = sseFields(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (fields.retry && /^\d+$/.test(fields.retry)) seen.retryMs = Number(fields.retry);
          if (!fields.event || fields.data === undefined) continue;
          seen.last = Number(fields.id) || seen.last;
          onEvent({ id: Number(fields.id), event: fields.event, data: JSON.parse(fields.data) });
          if (TERMINAL_EVENTS.includes(fields.event)) return true;
        }
      }
    } finally {
      reader.cancel().catch(() => {});
    }
  }

  // Library
  assets(query) { return this.call("GET", "/assets", { query }); }
  asset(id) { return this.call("GET", `/assets/${encodeURIComponent(id)}`); }
  updateAsset(id, change) {
    return this.call("PATCH", `/assets/${encodeURIComponent(id)}`, { body: change });
  }
  deleteAsset(id) { return this.call("DELETE", `/assets/${encodeURIComponent(id)}`); }
  async exportZip(assetIds) {
    const response = await this.call("POST", "/assets/export", {
      body: { asset_ids: assetIds }, raw: true,
    });
    return response.blob();
  }

  // Social Optimizer
  optimizePreview(body) { return this.call("POST", "/optimize/preview", { body }); }
  optimize(body) { return this.call("POST", "/optimize", { body }); }
  optimizeQuote(body) { return this.call("POST", "/optimize/quote", { body }); }
  upscaleModes() { return this.call("GET", "/upscale/modes"); }
  upscaleQuote(body, signal = null) { return this.call("POST", "/upscale/quote", { body, signal }); }
  upscale(body) { return this.call("POST", "/upscale", { body }); }
  async optimizeZip(setId) {
    const response = await this.call("GET", `/optimize/${encodeURIComponent(setId)}/zip`, {
      raw: true,
    });
    return response.blob();
  }

  // Edit Studio
  editOperations() { return this.call("GET", "/edit/operations"); }
  /** POST /edit/preflight with `form` (a FormData: fields, and the drawn mask as `mask`). */
  editPreflight(form, signal = null) {
    return this.call("POST", "/edit/preflight", { form, signal });
  }
  edit(form) { return this.call("POST", "/edit", { form }); }
  versions(id) { return this.call("GET", `/assets/${encodeURIComponent(id)}/versions`); }
  revert(id, to) {
    return this.call("POST", `/assets/${encodeURIComponent(id)}/revert`, { body: { to } });
  }

  // Collections
  collections() { return this.call("GET", "/collections"); }
  createCollection(name) { return this.call("POST", "/collections", { body: { name } }); }
  addToCollection(id, assetIds) {
    return this.call("POST", `/collections/${encodeURIComponent(id)}/assets`, {
      body: { asset_ids: assetIds },
    });
  }
  removeFromCollection(id, assetId) {
    const path = `/collections/${encodeURIComponent(id)}/assets/${encodeURIComponent(assetId)}`;
    return this.call("DELETE", path);
  }
}
