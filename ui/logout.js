// Asking before logging out, in the service's own words (logout_note says
// whether the service will be told to cancel access or Authdeck only forgets it).

import * as ipc from "./ipc.js";
import { createDialog, showDialog } from "./dialog.js";

/**
 * Open the confirmation for `view` (a ServiceView).
 * `onDone(result)` receives logout()'s {view, revoked, message};
 * `returnFocus()` runs when the dialog closes.
 */
export function openLogoutDialog(view, { onDone, returnFocus }) {
  let busy = false;
  const { dialog, heading } = createDialog("logout", `Log out of ${view.name}?`);
  const body = document.createElement("div");
  body.className = "sheet-form";

  const note = document.createElement("p");
  note.className = "instructions";
  note.id = "dialog-logout-note";
  note.textContent = view.logout_note;
  dialog.setAttribute("aria-describedby", note.id);

  const effect = document.createElement("p");
  effect.className = "muted";
  effect.textContent = `Scripts on this computer will no longer be able to use your ${view.name} account until you connect again.`;

  const error = document.createElement("p");
  error.className = "form-error";
  error.setAttribute("role", "alert");

  const actions = document.createElement("div");
  actions.className = "sheet-actions";
  const cancel = document.createElement("button");
  cancel.type = "button";
  cancel.className = "btn btn--secondary";
  cancel.dataset.action = "cancel-logout";
  cancel.textContent = "Cancel";
  // The safe choice has the focus, so Enter alone never logs anyone out.
  cancel.autofocus = true;
  cancel.addEventListener("click", () => dialog.close());

  const confirm = document.createElement("button");
  confirm.type = "button";
  confirm.className = "btn btn--danger";
  confirm.dataset.action = "confirm-logout";
  confirm.textContent = "Log out";
  confirm.addEventListener("click", async () => {
    if (busy) return;
    busy = true;
    confirm.disabled = true;
    cancel.disabled = true;
    confirm.textContent = "Logging out…";
    error.textContent = "";
    try {
      const result = await ipc.logout(view.id);
      busy = false;
      dialog.close();
      onDone(result);
    } catch (failure) {
      busy = false;
      confirm.disabled = false;
      cancel.disabled = false;
      confirm.textContent = "Log out";
      error.textContent = failure.message;
    }
  });

  actions.append(cancel, confirm);
  body.append(heading, note, effect, error, actions);
  dialog.append(body);
  showDialog(dialog, { isBusy: () => busy, returnFocus });
  cancel.focus();
}
