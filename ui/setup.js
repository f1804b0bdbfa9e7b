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

/** Checks a field against the service's formats as the person types or pastes. */
function watchField(service, field, input, row) {
  const note = el("p", "field-check");
  note.id = `setup-${service}-${field.key}-check`;
  note.setAttribute("aria-live", "polite");
  row.append(note);
  const described = input.getAttribute("aria-describedby");
  input.setAttribute("aria-describedby", described ? `${described} ${note.id}` : note.id);
  let timer = null;
  let asked = 0;
  const check = async () => {
    const ask = ++asked;
    const value = input.value.trim();
    let said = null;
    if (value !== "") {
      try {
        said = await ipc.checkSetupValue(service, field.key, value);
      } catch {
        said = null; // A failed check never blocks saving.
      }
    }
    if (ask !== asked) return; // A newer keystroke asked again.
    note.textContent = said || "";
    if (said) input.setAttribute("data-mismatch", "true");
    else input.removeAttribute("data-mismatch");
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(check, 150);
  });
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
  watchField(service, field, input, row);
  return row;
}

/**
 * Open the setup dialog for `info` (a SetupInfo).
 * `onSaved(view)` receives the ServiceView save_setup returns;
 * `returnFocus()` runs when the dialog closes.
 */
export function openSetupDialog(info, { onSaved, onSavedConnect, returnFocus }) {
  let busy = false;
  const { dialog, heading } = createDialog("setup", `Set up ${info.name}`);
  const form = el("form", "sheet-form");
  form.noValidate = true;
  form.append(heading);

  if (info.preset_by) {
    form.append(
      el(
        "p",
        "preset-note",
        `${info.name} is already set up for you by ${info.preset_by}: you can connect without filling in anything. To use your own app instead, enter its details below.`,
      ),
    );
  }
  if (Array.isArray(info.steps) && info.steps.length > 0) {
    const steps = el("ol", "setup-steps");
    steps.setAttribute("aria-label", `How to set up ${info.name}`);
    for (const step of info.steps) steps.append(el("li", null, step));
    form.append(steps);
  } else if (info.instructions) {
    form.append(el("p", "instructions", info.instructions));
  }
  if (info.warning) {
    const warning = el("p", "setup-warning", info.warning);
    warning.setAttribute("role", "note");
    form.append(warning);
  }
  if (info.console_url) {
    form.append(copyRow(`setup-${info.service}-console`, "Where to get these", info.console_url, "copy-console-url"));
  }
  const redirects = Array.isArray(info.redirect_uris) && info.redirect_uris.length > 0
    ? info.redirect_uris
    : info.redirect_uri ? [info.redirect_uri] : [];
  redirects.forEach((uri, i) => {
    const many = redirects.length > 1;
    const row = copyRow(
      `setup-${info.service}-redirect${i ? `-${i + 1}` : ""}`,
      many ? `Redirect address ${i + 1} of ${redirects.length}` : "Redirect address",
      uri,
      "copy-redirect-uri",
    );
    // The address itself, readable (and found by a screen reader) beside the field.
    row.dataset.redirect = uri;
    if (i === redirects.length - 1) {
      const note = many
        ? `If the site asks where to send people after signing in, add each of these ${redirects.length} addresses.`
        : "If the site asks where to send people after signing in, enter this address.";
      row.append(el("p", "field-note", note));
    }
    form.append(row);
  });

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
  const save = el("button", "btn btn--secondary", "Save");
  save.type = "submit";
  save.dataset.action = "save-setup";
  const saveConnect = el("button", "btn btn--primary", "Save and connect");
  saveConnect.type = "submit";
  saveConnect.dataset.action = "save-connect";
  actions.append(cancel, save, saveConnect);
  form.append(actions);

  form.addEventListener("submit", async (event) => {
    // The CSP forbids form navigation; the submit is handled here only.
    event.preventDefault();
    if (busy) return;
    const thenConnect = event.submitter === saveConnect;
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
    saveConnect.disabled = true;
    cancel.disabled = true;
    (thenConnect ? saveConnect : save).textContent = "Saving…";
    try {
      const view = await ipc.saveSetup(info.service, values);
      busy = false;
      dialog.close();
      if (thenConnect && onSavedConnect) onSavedConnect(view);
      else onSaved(view);
    } catch (failure) {
      busy = false;
      save.disabled = false;
      saveConnect.disabled = false;
      cancel.disabled = false;
      save.textContent = "Save";
      saveConnect.textContent = "Save and connect";
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
