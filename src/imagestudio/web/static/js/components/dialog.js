// Modal dialogs on the native <dialog> element (focus trap, Esc to close, inert page).

import { h } from "../dom.js";

/** A modal with a title and a close button; returns {dialog, body, close, setTitle}. */
export function openDialog(title, { className = "", onClose = null } = {}) {
  const titleId = `dlg-${Math.random().toString(36).slice(2, 9)}`;
  const body = h("div", { class: "dialog-body" });
  const closeButton = h("button", {
    class: "icon-btn dialog-close", type: "button", "aria-label": "Close dialog",
  }, "×");
  const heading = h("h2", { id: titleId }, title);
  const dialog = h("dialog", { class: `dialog ${className}`.trim(), "aria-labelledby": titleId },
    h("div", { class: "dialog-head" }, heading, closeButton),
    body);
  const close = () => dialog.close();
  closeButton.addEventListener("click", close);
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) close();
  });
  dialog.addEventListener("close", () => {
    dialog.remove();
    if (onClose) onClose();
  });
  document.body.append(dialog);
  dialog.showModal();
  const setTitle = (text) => { heading.textContent = text; };
  return { dialog, body, close, setTitle };
}

/** Ask a yes/no question; resolves true when confirmed. */
export function confirmDialog(title, message, confirmLabel, { danger = false } = {}) {
  return new Promise((resolve) => {
    let answer = false;
    const { body, close } = openDialog(title, {
      className: "dialog-small", onClose: () => resolve(answer),
    });
    const ok = h("button", { class: danger ? "btn btn-danger" : "btn btn-primary", type: "button" },
      confirmLabel);
    const cancel = h("button", { class: "btn", type: "button" }, "Cancel");
    ok.addEventListener("click", () => { answer = true; close(); });
    cancel.addEventListener("click", close);
    body.append(h("p", {}, message), h("div", { class: "dialog-actions" }, cancel, ok));
    cancel.focus();
  });
}

/** Ask for a short text; resolves the trimmed text or null. */
export function promptDialog(title, label, confirmLabel) {
  return new Promise((resolve) => {
    let answer = null;
    const { body, close } = openDialog(title, {
      className: "dialog-small", onClose: () => resolve(answer),
    });
    const input = h("input", { type: "text", id: `pd-${Date.now()}`, maxlength: "100", required: true });
    const form = h("form", { class: "stack", method: "dialog" },
      h("div", { class: "field" }, h("label", { for: input.id }, label), input),
      h("div", { class: "dialog-actions" },
        h("button", { class: "btn", type: "button", onclick: close }, "Cancel"),
        h("button", { class: "btn btn-primary", type: "submit" }, confirmLabel)));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const value = input.value.trim();
      if (!value) return;
      answer = value;
      close();
    });
    body.append(form);
    input.focus();
  });
}
