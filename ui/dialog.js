// Modal dialogs: one <dialog> per opening, removed when it closes.
//
// Focus goes back to whatever `returnFocus()` finds at close time rather than
// to a remembered element, because the card that opened the dialog may have
// been rebuilt in the meantime.

/** Create a modal <dialog> labelled by its heading. */
export function createDialog(kind, title) {
  const dialog = document.createElement("dialog");
  dialog.className = "sheet";
  dialog.dataset.dialog = kind;
  const heading = document.createElement("h2");
  heading.className = "sheet-title";
  heading.id = `dialog-${kind}-title`;
  heading.textContent = title;
  dialog.setAttribute("aria-labelledby", heading.id);
  return { dialog, heading };
}

/**
 * Show `dialog` modally. `isBusy()` true keeps Escape from closing it while a
 * request runs. On close the dialog is removed and `returnFocus()` is called.
 */
export function showDialog(dialog, { isBusy = () => false, returnFocus = () => {} } = {}) {
  dialog.addEventListener("cancel", (event) => {
    if (isBusy()) event.preventDefault();
  });
  dialog.addEventListener("close", () => {
    dialog.remove();
    returnFocus();
  });
  document.body.append(dialog);
  dialog.showModal();
}
