// The one door between the page and the Rust app.
//
// Only this module touches window.__TAURI__. Every failure, whatever shape it
// arrives in, leaves here as {code, message} with a message a person can read,
// so the rest of the UI never matches on error strings.

const FALLBACK_MESSAGE = "Something went wrong. Please try again.";

/** Turn anything a rejected invoke can throw into {code, message}. */
export function normalizeError(error) {
  if (error && typeof error === "object") {
    const message =
      typeof error.message === "string" && error.message.trim() !== ""
        ? error.message
        : FALLBACK_MESSAGE;
    const code = typeof error.code === "string" ? error.code : "unknown";
    return { code, message };
  }
  if (typeof error === "string" && error.trim() !== "") {
    return { code: "unknown", message: error };
  }
  return { code: "unknown", message: FALLBACK_MESSAGE };
}

function tauri() {
  const t = window.__TAURI__;
  if (!t || !t.core || !t.event) {
    throw {
      code: "no_backend",
      message: "Authdeck's window is not connected to the app. Please restart Authdeck.",
    };
  }
  return t;
}

async function invoke(command, args) {
  try {
    return await tauri().core.invoke(command, args);
  } catch (error) {
    throw normalizeError(error);
  }
}

/** Subscribe to a backend event; resolves to an unsubscribe function. */
async function listen(event, handler) {
  try {
    return await tauri().event.listen(event, (e) => handler(e.payload));
  } catch (error) {
    throw normalizeError(error);
  }
}

export const appStatus = () => invoke("app_status");
export const listServices = () => invoke("list_services");
/** `scopes`: permissions to ask for on top of the service's own (a refused one, asked again). */
export const connect = (service, scopes) =>
  invoke("connect", scopes && scopes.length ? { service, scopes } : { service });
export const cancelConnect = (service) => invoke("cancel_connect", { service });
// `account`: the label of one account (AccountView.label); absent for the only one.
export const logout = (service, account) =>
  invoke("logout", account ? { service, account } : { service });
export const refresh = (service, account) =>
  invoke("refresh", account ? { service, account } : { service });
/** Resolves to {view, message}. */
export const makeDefault = (service, account) => invoke("make_default", { service, account });
export const setupInfo = (service) => invoke("setup_info", { service });
export const saveSetup = (service, values) => invoke("save_setup", { service, values });
/** One sentence when a typed value does not look right for the field; null when it does. */
export const checkSetupValue = (service, key, value) =>
  invoke("check_setup_value", { service, key, value });

/** The card the window was opened at (`authdeck-app --card SERVICE`), once; else null. */
export const takeStartCard = () => invoke("take_start_card");
/** {autostart: bool}: whether the keeper starts at login. */
export const keeperStatus = () => invoke("keeper_status");
/** Turns the keeper's login start on or off (and starts it now when on). */
export const setKeeper = (on) => invoke("set_keeper", { on });

export const onServiceChanged = (handler) => listen("service-changed", handler);
/** Authdeck was opened again (or a notification's Reconnect clicked) at a card. */
export const onShowCard = (handler) => listen("show-card", handler);
export const onKeyringStatus = (handler) => listen("keyring-status", handler);
