// The setup form: the app registration details a service needs before a
// person can connect it, built from setup_info().
//
// An empty field means "leave unchanged" to save_setup, so a value that is
// already saved or comes from an environment variable never has to be typed
// again.

import * as ipc from "./ipc.js";
import { copyText, selectAndCopy } from "./clipboard.js";
import { createDialog, showDialog } from "./dialog.js";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

/** A labelled read-only field with a Copy button (the webview opens no links). */
function copyRow(id, labelText, value, action) {
  const row = el("div", "copy-row");
  const label = el("label", "field-label", labelText);
  label.htmlFor = id;
  const line = el("div", "copy-line");
  const input = el("input", "copy-field");
  input.id = id;
  input.type = "text";
  input.readOnly = true;
  input.spellcheck = false;
  input.value = value;
  const btn = el("button", "btn btn--secondary btn--small", "Copy");
  btn.type = "button";
  btn.dataset.action = action;
  btn.setAttribute("aria-label", `Copy ${labelText.toLowerCase()}`);
  btn.addEventListener("click", async () => {
    const done = (await copyText(value)) || selectAndCopy(input);
    btn.textContent = done ? "Copied" : "Press Ctrl+C";
    setTimeout(() => (btn.textContent = "Copy"), 2000);
  });
  line.append(input, btn);
  row.append(label, line);
  return row;
}

function mustFill(field) {
  return field.required && !field.from_env && !field.saved;
}

function fieldRow(service, field) {
  const row = el("div", "field");
  const id = `setup-${service}-${field.key}`;
  const label = el("label", "field-label", field.label);
  label.htmlFor = id;
  if (!mustFill(field) && !field.saved && !field.from_env) {
    label.append(" ", el("span", "optional", "(optional)"));
  }
  if (field.saved) label.append(" ", el("span", "badge", "Saved"));

  const input = el("input", "field-input");
  input.id = id;
  input.name = field.key;
  input.type = field.secret ? "password" : "text";
  input.autocomplete = "off";
  input.spellcheck = false;
  input.setAttribute("autocapitalize", "off");
  if (mustFill(field)) input.setAttribute("aria-required", "true");
  if (field.saved) input.placeholder = "Leave empty to keep the saved value";
  else if (field.from_env) input.placeholder = "Leave empty to use the provided value";

  row.append(label, input);
  if (field.from_env) {
    const source = field.env_var ? ` by ${field.env_var}` : " on this computer";
    const note = el("p", "field-note", `Already provided${source}`);
    note.id = `${id}-note`;
    input.setAttribute("aria-describedby", note.id);
    row.append(note);
  }
  return row;
}

/**
 * Open the setup dialog for `info` (a SetupInfo).
 * `onSaved(view)` receives the ServiceView save_setup returns;
 * `returnFocus()` runs when the dialog closes.
 */
export function openSetupDialog(info, { onSaved, returnFocus }) {
  let busy = false;
  const { dialog, heading } = createDialog("setup", `Set up ${info.name}`);
  const form = el("form", "sheet-form");
  form.noValidate = true;
  form.append(heading);

  if (info.instructions) form.append(el("p", "instructions", info.instructions));
  if (info.console_url) {
    form.append(copyRow(`setup-${info.service}-console`, "Where to get these", info.console_url, "copy-console-url"));
  }
  if (info.redirect_uri) {
    const row = copyRow(
      `setup-${info.service}-redirect`,
      "Redirect address",
      info.redirect_uri,
      "copy-redirect-uri",
    );
    row.append(el("p", "field-note", "If the site asks where to send people after signing in, enter this address."));
    form.append(row);
  }

  const fields = Array.isArray(info.fields) ? info.fields : [];
  const fieldset = el("div", "fields");
  for (const field of fields) fieldset.append(fieldRow(info.service, field));
  form.append(fieldset);

  const error = el("p", "form-error");
  error.setAttribute("role", "alert");
  form.append(error);

  const actions = el("div", "sheet-actions");
  const cancel = el("button", "btn btn--secondary", "Cancel");
  cancel.type = "button";
  cancel.dataset.action = "cancel-setup";
  cancel.addEventListener("click", () => dialog.close());
  const save = el("button", "btn btn--primary", "Save");
  save.type = "submit";
  save.dataset.action = "save-setup";
  actions.append(cancel, save);
  form.append(actions);

  form.addEventListener("submit", async (event) => {
    // The CSP forbids form navigation; the submit is handled here only.
    event.preventDefault();
    if (busy) return;
    error.textContent = "";
    const values = {};
    for (const field of fields) {
      const input = form.elements.namedItem(field.key);
      const value = input ? input.value.trim() : "";
      input?.removeAttribute("aria-invalid");
      if (value === "" && mustFill(field)) {
        input.setAttribute("aria-invalid", "true");
        error.textContent = `Please fill in ${field.label}.`;
        input.focus();
        return;
      }
      values[field.key] = value;
    }
    busy = true;
    save.disabled = true;
    cancel.disabled = true;
    save.textContent = "Saving…";
    try {
      const view = await ipc.saveSetup(info.service, values);
      busy = false;
      dialog.close();
      onSaved(view);
    } catch (failure) {
      busy = false;
      save.disabled = false;
      cancel.disabled = false;
      save.textContent = "Save";
      error.textContent = failure.message;
    }
  });

  dialog.append(form);
  showDialog(dialog, { isBusy: () => busy, returnFocus });
  // Start where typing is needed: the first field that is still empty.
  const first = fields.find((f) => mustFill(f)) || fields[0];
  const target = first && form.elements.namedItem(first.key);
  if (target) target.focus();
}
