// Copying text for the person, e.g. the sign-in link or a console address.
//
// The async clipboard API may be refused inside the app's webview; the
// fallback selects the text in a read-only field the caller shows, tries the
// legacy copy command, and otherwise leaves the text selected for Ctrl+C.

/** Try to copy `text`. Resolves true if it reached the clipboard. */
export async function copyText(text) {
  try {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Fall through to the caller's visible fallback.
  }
  return false;
}

/** Select all of a read-only field and try the legacy copy command on it. */
export function selectAndCopy(input) {
  input.focus();
  input.select();
  input.setSelectionRange(0, input.value.length);
  try {
    return document.execCommand("copy");
  } catch {
    return false;
  }
}
