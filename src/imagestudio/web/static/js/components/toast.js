// Short status messages in a polite live region; errors use role="alert".

import { h } from "../dom.js";

const TIMEOUT_MS = 5000;

export function toast(message, { kind = "info", timeout = TIMEOUT_MS } = {}) {
  const region = document.getElementById("toasts");
  if (!region) return;
  const close = h("button", { class: "toast-close", type: "button", "aria-label": "Dismiss" }, "×");
  const item = h("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : null },
    h("span", { class: "toast-text" }, message), close);
  const remove = () => item.remove();
  close.addEventListener("click", remove);
  region.append(item);
  if (timeout) setTimeout(remove, kind === "error" ? timeout * 2 : timeout);
}

export function toastError(error, prefix = "") {
  const message = error && error.message ? error.message : String(error);
  toast(prefix ? `${prefix}: ${message}` : message, { kind: "error" });
}
