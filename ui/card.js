// One ServiceView drawn as one card, in every state.
//
// A card is rebuilt whole whenever its view changes; `local` carries what only
// the page knows (an action in flight, an inline error, a notice, whether the
// sign-in link is shown), so a rebuild never loses it. The hooks tests rely on
// are fixed by the contract: data-service, data-state, data-action.

import { renderMark } from "./marks.js";
import { describeExpiry, describeFreshness, formatDateTime } from "./time.js";

/** The short status under the service name, per state. */
const STATUS_TEXT = {
  not_configured: "Needs setup",
  not_connected: "Not connected",
  connecting: "Waiting for your browser",
  connected: "Connected",
  needs_reconnect: "Needs you to sign in again",
  error: "Something went wrong",
};

/** What a button says while its action is running. */
const BUSY_TEXT = {
  connect: "Opening browser…",
  reconnect: "Opening browser…",
  refresh: "Refreshing…",
  cancel: "Cancelling…",
  setup: "Opening…",
};

/** Page-side state of a card that a new ServiceView must not wipe out. */
export function emptyLocal() {
  return { busy: null, error: null, notice: null, linkShown: false };
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function domId(id, suffix) {
  return `svc-${String(id).replace(/[^a-zA-Z0-9_-]/g, "_")}-${suffix}`;
}

function button(action, label, variant, local) {
  const b = el("button", `btn btn--${variant}`);
  b.type = "button";
  b.dataset.action = action;
  if (local.busy) {
    b.disabled = true;
    if (local.busy === action) {
      b.setAttribute("aria-busy", "true");
      label = BUSY_TEXT[action] || label;
    }
  }
  b.textContent = label;
  return b;
}

function paragraph(className, text) {
  return el("p", className, text);
}

function scopeChips(view) {
  const wrap = el("div", "perms");
  const headingId = domId(view.id, "perms");
  const heading = el("p", "perms-heading", "Can use");
  heading.id = headingId;
  wrap.append(heading);

  if (!Array.isArray(view.scopes) || view.scopes.length === 0) {
    wrap.append(paragraph("muted", `${view.name} did not list separate permissions.`));
    return wrap;
  }
  const list = el("ul", "chips");
  list.setAttribute("aria-labelledby", headingId);
  for (const scope of view.scopes) {
    const label = scope.label || scope.raw;
    const chip = el("li", "chip", label);
    // Focusable so keyboard users can reach the technical name too.
    chip.tabIndex = 0;
    chip.title = scope.raw;
    chip.dataset.raw = scope.raw;
    chip.setAttribute("aria-label", label === scope.raw ? label : `${label}: ${scope.raw}`);
    list.append(chip);
  }
  wrap.append(list);
  return wrap;
}

function connectedBody(view, now) {
  const parts = [];
  const who = el("p", "account");
  if (view.account) {
    who.append("Signed in as ", el("strong", null, view.account));
  } else {
    who.textContent = "Signed in";
  }
  parts.push(who);
  if (view.method_label) parts.push(paragraph("method muted", view.method_label));
  parts.push(scopeChips(view));

  const times = el("div", "times");
  const expiry = el("p", "time expiry");
  if (view.expires_at !== null && view.expires_at !== undefined) {
    expiry.dataset.expiresAt = String(view.expires_at);
    expiry.title = `Until ${formatDateTime(view.expires_at)}`;
  } else {
    expiry.dataset.expiresAt = "";
  }
  fillExpiry(expiry, now);
  times.append(expiry);

  const fresh = el("p", "time freshness muted");
  if (view.refreshed_at != null) fresh.dataset.refreshedAt = String(view.refreshed_at);
  if (view.obtained_at != null) fresh.dataset.obtainedAt = String(view.obtained_at);
  fillFreshness(fresh, now);
  if (fresh.textContent) times.append(fresh);
  parts.push(times);
  return parts;
}

function connectingBody(view, local) {
  const parts = [];
  const waiting = el("div", "waiting");
  const spinner = el("span", "spinner");
  spinner.setAttribute("aria-hidden", "true");
  waiting.append(spinner, el("p", "waiting-text", "Finish signing in in your browser…"));
  parts.push(waiting);
  parts.push(
    paragraph(
      "muted",
      "A sign-in page opened in your web browser. If you don't see it, copy the link and paste it into your browser.",
    ),
  );
  if (local.linkShown && view.authorize_url) {
    const fieldId = domId(view.id, "link");
    const label = el("label", "link-label", "Sign-in link (press Ctrl+C to copy)");
    label.htmlFor = fieldId;
    const input = el("input", "link-field");
    input.id = fieldId;
    input.type = "text";
    input.readOnly = true;
    input.spellcheck = false;
    input.value = view.authorize_url;
    input.dataset.role = "authorize-url";
    parts.push(label, input);
  }
  return parts;
}

/** Body and actions for each state. */
function stateContent(view, local, now) {
  const name = view.name;
  switch (view.state) {
    case "not_configured":
      return {
        body: [paragraph("lead", view.message || `${name} needs a one-time setup before you can connect.`)],
        actions: [button("setup", "Set up", "primary", local)],
      };
    case "not_connected":
      return {
        body: [
          view.message
            ? paragraph("note note--warn", view.message)
            : paragraph("muted", `Connect to let scripts on this computer use your ${name} account.`),
        ],
        // Set up stays reachable so saved client details can be changed.
        actions: [button("setup", "Set up", "secondary", local), button("connect", `Connect ${name}`, "primary", local)],
      };
    case "connecting":
      return {
        body: connectingBody(view, local),
        actions: [
          button("copy-link", "Copy link", "secondary", local),
          button("cancel", "Cancel", "secondary", local),
        ],
      };
    case "connected": {
      const actions = [];
      if (view.can_refresh) actions.push(button("refresh", "Refresh now", "secondary", local));
      actions.push(button("logout", "Log out", "secondary", local));
      const body = connectedBody(view, now);
      if (view.message) body.push(paragraph("note note--info", view.message));
      return { body, actions };
    }
    case "needs_reconnect":
      return {
        body: [paragraph("note note--warn", view.message || `${name} asked you to sign in again.`)],
        actions: [
          button("logout", "Log out", "secondary", local),
          button("reconnect", "Reconnect", "primary", local),
        ],
      };
    case "error":
    default:
      return {
        body: [paragraph("note note--error", view.message || `Authdeck could not check ${name}.`)],
        actions: [
          button("setup", "Set up", "secondary", local),
          button("connect", "Try again", "primary", local),
        ],
      };
  }
}

/** Build the card element for one ServiceView. */
export function renderCard(view, local, now) {
  const card = el("article", "card");
  card.dataset.service = view.id;
  card.dataset.state = view.state;
  const nameId = domId(view.id, "name");
  const statusId = domId(view.id, "status");
  card.setAttribute("aria-labelledby", nameId);
  card.setAttribute("aria-describedby", statusId);

  const head = el("header", "card-head");
  const heading = el("div", "card-heading");
  const title = el("h2", "card-name", view.name);
  title.id = nameId;
  const status = el("p", `status status--${view.state}`);
  status.id = statusId;
  const dot = el("span", "status-dot");
  dot.setAttribute("aria-hidden", "true");
  status.append(dot, STATUS_TEXT[view.state] || STATUS_TEXT.error);
  heading.append(title, status);
  head.append(renderMark(view), heading);

  const { body, actions } = stateContent(view, local, now);
  const bodyEl = el("div", "card-body");
  bodyEl.append(...body);
  if (local.notice) bodyEl.append(paragraph("note note--info", local.notice));
  if (local.error) {
    const err = paragraph("note note--error", local.error);
    err.setAttribute("role", "alert");
    bodyEl.append(err);
  }

  const actionRow = el("div", "card-actions");
  actionRow.append(...actions);

  card.append(head, bodyEl, actionRow);
  return card;
}

function fillExpiry(node, now) {
  const raw = node.dataset.expiresAt;
  const { text, level } = describeExpiry(raw ? Number(raw) : null, now);
  if (node.textContent !== text) node.textContent = text;
  node.dataset.level = level;
}

function fillFreshness(node, now) {
  const refreshed = node.dataset.refreshedAt ? Number(node.dataset.refreshedAt) : null;
  const obtained = node.dataset.obtainedAt ? Number(node.dataset.obtainedAt) : null;
  const text = describeFreshness(refreshed, obtained, now) || "";
  if (node.textContent !== text) node.textContent = text;
}

/** Re-word every countdown under `root` for `now`; cheap enough to run each second. */
export function refreshTimes(root, now) {
  for (const node of root.querySelectorAll(".expiry[data-expires-at]")) fillExpiry(node, now);
  for (const node of root.querySelectorAll(".freshness")) fillFreshness(node, now);
}
