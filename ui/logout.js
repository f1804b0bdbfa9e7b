// Asking before logging out, in the service's own words (logout_note says
// whether the service will be told to cancel access or Authdeck only forgets it).

import * as ipc from "./ipc.js";
import { accountName } from "./accounts.js";
import { createDialog, showDialog } from "./dialog.js";

/** What logging `account` out of a service with several accounts changes for scripts. */
function effectOfOne(view, account) {
  const who = accountName(account);
  let text = `Scripts on this computer will no longer be able to use ${who} until you connect it again.`;
  const next = account.default ? view.accounts.find((a) => a.label !== account.label) : null;
  if (next) text += ` ${accountName(next)} will become your default ${view.name} account.`;
  return text;
}

/**
 * Open the confirmation for `view` (a ServiceView) and `account` (one of its
 * AccountViews, or null when it has none, e.g. a key from the environment).
 * `onDone(result)` receives logout()'s {view, revoked, message};
 * `returnFocus()` runs when the dialog closes.
 */
export function openLogoutDialog(view, account, { onDone, returnFocus }) {
  let busy = false;
  const several = account && view.accounts.length > 1;
  const title = several ? `Log out ${accountName(account)} from ${view.name}?` : `Log out of ${view.name}?`;
  const { dialog, heading } = createDialog("logout", title);
  const body = document.createElement("div");
  body.className = "sheet-form";

  const note = document.createElement("p");
  note.className = "instructions";
  note.id = "dialog-logout-note";
  note.textContent = view.logout_note;
  dialog.setAttribute("aria-describedby", note.id);

  const effect = document.createElement("p");
  effect.className = "muted";
  effect.textContent = several
    ? effectOfOne(view, account)
    : `Scripts on this computer will no longer be able to use your ${view.name} account until you connect again.`;

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
      const result = await ipc.logout(view.id, account ? account.label : undefined);
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
