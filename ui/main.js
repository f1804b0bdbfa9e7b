// Boot and page state: loads the services, keeps one card per service in
// step with the backend's events, routes button clicks, and runs the single
// once-a-second ticker that keeps the countdowns honest.

import * as ipc from "./ipc.js";
import { emptyLocal, refreshTimes, renderCard } from "./card.js";
import { busyKey } from "./parts.js";
import { copyText, selectAndCopy } from "./clipboard.js";
import { openLogoutDialog } from "./logout.js";
import { openSetupDialog } from "./setup.js";
import { initKeeperSwitch } from "./keeper.js";
import { nowSeconds } from "./time.js";

const grid = document.getElementById("services");
const banners = document.getElementById("banners");
const welcome = document.getElementById("welcome");
const announcer = document.getElementById("announcer");

/** Latest ServiceView per id; Map order is card order. */
const views = new Map();
/** Page-side card state per id (see card.js emptyLocal). */
const locals = new Map();
/**
 * service-changed events seen per id. A command's answer is older than any
 * event that arrived while it ran (the app sends every change as an event,
 * in order), so such an answer is not drawn over it.
 */
const eventCounts = new Map();
/** Events that arrive before the first list_services answer, applied after it. */
let early = [];

function localFor(id) {
  if (!locals.has(id)) locals.set(id, { ...emptyLocal(), focusAfter: null });
  return locals.get(id);
}

function cardFor(id) {
  return grid.querySelector(`[data-service="${CSS.escape(id)}"]`);
}

// ---- announcements -------------------------------------------------------

let announceTimer = null;
function announce(text) {
  // Clearing first makes a repeated sentence be read again.
  announcer.textContent = "";
  clearTimeout(announceTimer);
  announceTimer = setTimeout(() => (announcer.textContent = text), 60);
}

function describeChange(view) {
  const extra = view.message ? ` ${view.message}` : "";
  switch (view.state) {
    case "connected":
      return `${view.name} is connected${view.account ? ` as ${view.account}` : ""}.`;
    case "connecting":
      return `${view.name}: finish signing in in your browser.`;
    case "not_connected":
      return `${view.name} is not connected.${extra}`;
    case "not_configured":
      return `${view.name} needs setup.${extra}`;
    case "needs_reconnect":
      return `${view.name} needs you to sign in again.${extra}`;
    default:
      return `${view.name}: ${view.message || "something went wrong."}`;
  }
}

// ---- cards ---------------------------------------------------------------

/**
 * Move focus into `card`: the same button if it still exists (same action on
 * the same account), else another button of that account, else the card's
 * first usable button. `target` is {action, account} or null.
 */
function focusInside(card, target) {
  const action = target && target.action;
  const account = target && target.account;
  const on = account ? `[data-account="${CSS.escape(account)}"]` : "";
  const candidates = [
    action && card.querySelector(`button[data-action="${CSS.escape(action)}"]${on}:not(:disabled)`),
    action && !account && card.querySelector(`button[data-action="${CSS.escape(action)}"]:not(:disabled)`),
    account && card.querySelector(`button${on}:not(:disabled)`),
    card.querySelector(".card-actions button:not(:disabled)"),
    card.querySelector("button:not(:disabled)"),
  ];
  const found = candidates.find(Boolean);
  if (found) {
    found.focus({ preventScroll: true });
  } else {
    // Everything is disabled while a request runs: keep focus on the card.
    card.tabIndex = -1;
    card.focus({ preventScroll: true });
  }
}

/** What to refocus after a redraw: the focused button's action and account. */
function focusTarget(element) {
  if (!element || !element.dataset || !element.dataset.action) return null;
  return { action: element.dataset.action, account: element.dataset.account || null };
}

/** (Re)draw the card of `id` in place, keeping keyboard focus where it was. */
function drawCard(id) {
  const view = views.get(id);
  const local = localFor(id);
  const shown = {
    busy: local.busy,
    // Messages belong to the state they were about; a new state retires them.
    error: local.error && local.error.state === view.state ? local.error.text : null,
    notice: local.notice && local.notice.state === view.state ? local.notice.text : null,
    linkShown: local.linkShown && view.state === "connecting",
  };
  const card = renderCard(view, shown, nowSeconds());
  const old = cardFor(id);
  if (!old) {
    grid.append(card);
    return card;
  }
  const active = document.activeElement;
  const hadFocus = old.contains(active);
  const target = hadFocus ? focusTarget(active) || local.focusAfter : null;
  old.replaceWith(card);
  if (hadFocus) focusInside(card, target);
  return card;
}

/** Take a ServiceView from the backend (answer or event) and show it. */
function showView(view) {
  if (early) {
    early.push(view);
    return;
  }
  const before = views.get(view.id);
  views.set(view.id, view);
  const local = localFor(view.id);
  if (view.state !== "connecting") local.linkShown = false;
  grid.removeAttribute("aria-busy");
  grid.querySelector(".placeholder")?.remove();
  drawCard(view.id);
  updateWelcome();
  if (before && (before.state !== view.state || before.message !== view.message)) {
    announce(describeChange(view));
  }
}

function eventsSeen(id) {
  return eventCounts.get(id) || 0;
}

function onServiceChanged(view) {
  eventCounts.set(view.id, eventsSeen(view.id) + 1);
  showView(view);
}

/** Show a command's answer unless an event about `view.id` came since `seen`. */
function showAnswer(view, seen) {
  if (eventsSeen(view.id) === seen) showView(view);
  else drawCard(view.id);
}

/** Names joined as a person writes them: "A", "A and B", "A, B and C". */
function joinNames(names) {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/** Until something is connected: what Authdeck does, and what is ready now. */
function updateWelcome() {
  const all = [...views.values()];
  const started = all.some((v) => ["connected", "needs_reconnect", "connecting"].includes(v.state));
  welcome.hidden = started;
  if (started) return;
  const ready = all.filter((v) => v.state === "not_connected").map((v) => v.name);
  const first =
    "Authdeck keeps your cloud accounts connected in one place, so you and the programs on this computer can use them without signing in again and again.";
  const second =
    ready.length > 0
      ? `Ready to connect now: ${joinNames(ready)}.`
      : "Each service needs a one-time setup first: click Set up on its card.";
  welcome.textContent = `${first} ${second}`;
}

// ---- actions -------------------------------------------------------------

/**
 * Run one backend call for a card, with its buttons disabled until it answers.
 * `on` = {account, scope} when the action is about one account or permission.
 */
async function busyCall(id, action, call, on = {}) {
  const local = localFor(id);
  if (local.busy) return; // a second click on a pending action starts nothing
  const card = cardFor(id);
  const seen = eventsSeen(id);
  local.busy = busyKey(action, on.account, on.scope);
  local.focusAfter =
    card && card.contains(document.activeElement) ? { action, account: on.account || null } : null;
  local.error = null;
  local.notice = null;
  drawCard(id);
  try {
    const result = await call();
    local.busy = null;
    if (result && result.id) showAnswer(result, seen);
    else drawCard(id);
    return result;
  } catch (failure) {
    local.busy = null;
    local.error = { text: failure.message, state: views.get(id).state };
    drawCard(id);
    announce(`${views.get(id).name}: ${failure.message}`);
    return null;
  } finally {
    local.focusAfter = null;
  }
}

function returnFocusTo(id, action, account) {
  return () => {
    const card = cardFor(id);
    if (card) focusInside(card, { action, account: account || null });
  };
}

async function copyLink(id, button) {
  const view = views.get(id);
  if (!view || !view.authorize_url) return;
  if (await copyText(view.authorize_url)) {
    button.textContent = "Copied";
    setTimeout(() => {
      if (button.isConnected) button.textContent = "Copy link";
    }, 2000);
    announce("Sign-in link copied. Paste it into your web browser.");
    return;
  }
  // No clipboard access: show the link, selected, for Ctrl+C.
  localFor(id).linkShown = true;
  const card = drawCard(id);
  const field = card.querySelector('[data-role="authorize-url"]');
  if (field && selectAndCopy(field)) {
    announce("Sign-in link copied. Paste it into your web browser.");
  } else {
    announce("The sign-in link is shown and selected. Press Control C to copy it.");
  }
}

async function openSetup(id) {
  const info = await busyCall(id, "setup", () => ipc.setupInfo(id));
  if (!info) return;
  openSetupDialog(info, {
    onSaved: (view) => {
      showView(view);
      announce(`${view.name} settings saved.`);
    },
    onSavedConnect: (view) => {
      showView(view);
      announce(`${view.name} settings saved. Opening the sign-in in your browser.`);
      busyCall(id, "connect", () => ipc.connect(id));
    },
    returnFocus: returnFocusTo(id, "setup"),
  });
}

/** The AccountView a button names, or null (a card without accounts). */
function accountOf(view, label) {
  if (!label || !view || !Array.isArray(view.accounts)) return null;
  return view.accounts.find((a) => a.label === label) || null;
}

/** A sentence the person should read on the card and hear. */
function tell(id, text, state) {
  localFor(id).notice = { text, state };
  drawCard(id);
  announce(text);
}

function openLogout(id, accountLabel) {
  const view = views.get(id);
  const seen = eventsSeen(id);
  localFor(id).notice = null;
  openLogoutDialog(view, accountOf(view, accountLabel), {
    onDone: (result) => {
      // The message says what happened at the service and, when the
      // default left, which account is the default now.
      if (result.message) {
        localFor(id).notice = { text: result.message, state: result.view.state };
      }
      showAnswer(result.view, seen);
      if (result.message) announce(result.message);
    },
    returnFocus: returnFocusTo(id, "logout", accountLabel),
  });
}

async function makeDefault(id, account) {
  const seen = eventsSeen(id);
  const result = await busyCall(id, "make-default", () => ipc.makeDefault(id, account), { account });
  if (result && result.view) {
    showAnswer(result.view, seen);
    tell(id, result.message, result.view.state);
  }
}

function runAction(id, action, button) {
  const account = button.dataset.account || undefined;
  switch (action) {
    case "connect":
    case "reconnect":
    case "add-account":
      // The browser decides who signs in: that account is added, or
      // replaced when it is already here.
      return busyCall(id, action, () => ipc.connect(id), { account });
    case "grant-scope": {
      const scope = button.dataset.scope;
      return busyCall(id, action, () => ipc.connect(id, [scope]), { account, scope });
    }
    case "cancel":
      return busyCall(id, action, () => ipc.cancelConnect(id));
    case "refresh":
      return busyCall(id, action, () => ipc.refresh(id, account), { account });
    case "make-default":
      return makeDefault(id, account);
    case "copy-link":
      return copyLink(id, button);
    case "setup":
      return openSetup(id);
    case "logout":
      return openLogout(id, account);
    default:
      return undefined;
  }
}

grid.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action]");
  if (!button || button.disabled) return;
  const card = button.closest("[data-service]");
  if (card) runAction(card.dataset.service, button.dataset.action, button);
});

// ---- keyring banner ------------------------------------------------------

function showKeyring(status) {
  let banner = banners.querySelector('[data-banner="keyring"]');
  if (!status || status.ok) {
    banner?.remove();
    return;
  }
  const text =
    status.message ||
    "Authdeck can't reach this computer's password keyring, so sign-ins can't be saved or read.";
  if (!banner) {
    banner = document.createElement("div");
    banner.className = "banner";
    banner.dataset.banner = "keyring";
    banner.setAttribute("role", "alert");
    const title = document.createElement("p");
    title.className = "banner-title";
    title.textContent = "Your keyring is not available";
    const message = document.createElement("p");
    message.className = "banner-text";
    banner.append(title, message);
    banners.append(banner);
  }
  banner.querySelector(".banner-text").textContent = text;
}

// ---- boot ----------------------------------------------------------------

function showBootError(failure) {
  grid.removeAttribute("aria-busy");
  const box = document.createElement("div");
  box.className = "placeholder placeholder--error";
  box.setAttribute("role", "alert");
  const title = document.createElement("p");
  title.className = "placeholder-title";
  title.textContent = "Your accounts could not be loaded";
  const text = document.createElement("p");
  text.textContent = failure.message;
  box.append(title, text);
  grid.replaceChildren(box);
}

function showEmpty() {
  const box = document.createElement("div");
  box.className = "placeholder";
  box.textContent = "No services are set up yet.";
  grid.replaceChildren(box);
}

/**
 * Brings a service's card into view and marks it, with the keyboard on its
 * first button: the window was opened at that card (a notification's
 * Reconnect, `authdeck-app --card SERVICE`).
 */
function focusCard(id) {
  if (typeof id !== "string") return;
  for (const other of grid.querySelectorAll("[data-highlighted]")) {
    delete other.dataset.highlighted;
  }
  const card = grid.querySelector(`[data-service="${CSS.escape(id)}"]`);
  if (!card) return;
  card.dataset.highlighted = "true";
  card.scrollIntoView({ block: "center" });
  const first = card.querySelector(".btn--primary, button");
  if (first) first.focus({ preventScroll: true });
}

async function boot() {
  setInterval(() => refreshTimes(grid, nowSeconds()), 1000);
  try {
    // Listen before listing, so no change can slip between the two.
    await Promise.all([
      ipc.onServiceChanged(onServiceChanged),
      ipc.onKeyringStatus(showKeyring),
      ipc.onShowCard(focusCard),
    ]);
    // Both read the keyring: ask at once rather than one after the other.
    const [status, list] = await Promise.all([ipc.appStatus(), ipc.listServices()]);
    showKeyring(status.keyring);
    if (status.version) document.getElementById("version").textContent = `Authdeck ${status.version}`;
    const pending = early;
    early = null;
    grid.replaceChildren();
    grid.removeAttribute("aria-busy");
    for (const view of list) showView(view);
    for (const view of pending) showView(view);
    if (views.size === 0) showEmpty();
    focusCard(await ipc.takeStartCard());
    initKeeperSwitch();
  } catch (failure) {
    early = null;
    showBootError(failure);
  }
}

boot();
