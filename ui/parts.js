// The small pieces a card is built from, shared by the card (card.js) and its
// account rows (accounts.js): elements, buttons that know when they are busy,
// permission chips and the expiry lines.

import { describeExpiry, describeFreshness, formatAgo, formatDateTime } from "./time.js";

/** What a button says while its action is running. */
const BUSY_TEXT = {
  connect: "Opening browser…",
  reconnect: "Opening browser…",
  "add-account": "Opening browser…",
  "grant-scope": "Opening browser…",
  refresh: "Refreshing…",
  "make-default": "Switching…",
  cancel: "Cancelling…",
  setup: "Opening…",
};

/**
 * The key of one action in flight on a card. An action on one account (or
 * for one permission) is told apart from the same action on another, so
 * only the clicked button says "Refreshing…".
 */
export function busyKey(action, account, scope) {
  return [action, account || "", scope || ""].join("\u0000");
}

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

export function paragraph(className, text) {
  return el("p", className, text);
}

export function domId(id, suffix) {
  return `svc-${String(id).replace(/[^a-zA-Z0-9_-]/g, "_")}-${suffix}`;
}

/**
 * A button for `action`. `options.account` and `options.scope` become
 * data-account / data-scope (main.js reads them back on click);
 * `options.ariaLabel` names what it acts on for screen readers.
 */
export function button(action, label, variant, local, options = {}) {
  const b = el("button", `btn btn--${variant}${options.small ? " btn--small" : ""}`);
  b.type = "button";
  b.dataset.action = action;
  if (options.account) b.dataset.account = options.account;
  if (options.scope) b.dataset.scope = options.scope;
  if (options.ariaLabel) b.setAttribute("aria-label", options.ariaLabel);
  if (local.busy) {
    b.disabled = true;
    if (local.busy === busyKey(action, options.account, options.scope)) {
      b.setAttribute("aria-busy", "true");
      label = BUSY_TEXT[action] || label;
    }
  }
  b.textContent = label;
  return b;
}

/**
 * What an account may use, one chip per granted permission. `heading` is
 * the visible "Can use" line; without it the list is labelled for screen
 * readers only (the rows of a card with several accounts are tighter).
 */
export function scopeChips(scopes, { headingId, heading, serviceName, ariaLabel }) {
  const wrap = el("div", "perms");
  if (heading) {
    const title = el("p", "perms-heading", heading);
    title.id = headingId;
    wrap.append(title);
  }
  if (!Array.isArray(scopes) || scopes.length === 0) {
    wrap.append(paragraph("muted", `${serviceName} did not list separate permissions.`));
    return wrap;
  }
  const list = el("ul", "chips");
  if (heading) list.setAttribute("aria-labelledby", headingId);
  else if (ariaLabel) list.setAttribute("aria-label", ariaLabel);
  for (const scope of scopes) {
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

/**
 * The permissions a service refused, each a button that asks for it again
 * ("Drive (read only) was not allowed · Ask again"). Null when nothing was refused.
 */
export function missingChips(missing, { serviceName, who, account, local }) {
  if (!Array.isArray(missing) || missing.length === 0) return null;
  const list = el("ul", "missing");
  list.setAttribute("aria-label", `Permissions ${serviceName} did not allow${who ? ` for ${who}` : ""}`);
  for (const scope of missing) {
    const item = el("li");
    const chip = button("grant-scope", scope.sentence, "missing", local, {
      account,
      scope: scope.raw,
      ariaLabel: `${scope.sentence}${who ? ` for ${who}` : ""}. Ask ${serviceName} for it again`,
    });
    chip.title = `${scope.raw}: click to ask ${serviceName} for it again`;
    if (chip.getAttribute("aria-busy") !== "true") chip.append(" ", el("span", "missing-ask", "Ask again"));
    item.append(chip);
    list.append(item);
  }
  return list;
}

/**
 * What the background keeper found about an account, and when: "Google no
 * longer accepts this sign-in… (noticed 5 min ago)".
 */
export function attentionNote(attention, now) {
  if (!attention) return null;
  const note = el("p", "note note--warn attention");
  note.dataset.role = "attention";
  note.dataset.noticedAt = String(attention.noticed_at);
  note.append(attention.reason, " ");
  const when = el("span", "muted", `(noticed ${formatAgo(attention.noticed_at, now)})`);
  when.title = `Noticed ${formatDateTime(attention.noticed_at)}`;
  note.append(when);
  return note;
}

/** The expiry and "signed in … ago" lines of one account. */
export function timesBlock(account, now, className = "times") {
  const times = el("div", className);
  const expiry = el("p", "time expiry");
  if (account.expires_at !== null && account.expires_at !== undefined) {
    expiry.dataset.expiresAt = String(account.expires_at);
    expiry.title = `Until ${formatDateTime(account.expires_at)}`;
  } else {
    expiry.dataset.expiresAt = "";
  }
  fillExpiry(expiry, now);
  times.append(expiry);

  const fresh = el("p", "time freshness muted");
  if (account.refreshed_at != null) fresh.dataset.refreshedAt = String(account.refreshed_at);
  if (account.obtained_at != null) fresh.dataset.obtainedAt = String(account.obtained_at);
  fillFreshness(fresh, now);
  if (fresh.textContent) times.append(fresh);
  return times;
}

export function fillExpiry(node, now) {
  const raw = node.dataset.expiresAt;
  const { text, level } = describeExpiry(raw ? Number(raw) : null, now);
  if (node.textContent !== text) node.textContent = text;
  node.dataset.level = level;
}

export function fillFreshness(node, now) {
  const refreshed = node.dataset.refreshedAt ? Number(node.dataset.refreshedAt) : null;
  const obtained = node.dataset.obtainedAt ? Number(node.dataset.obtainedAt) : null;
  const text = describeFreshness(refreshed, obtained, now) || "";
  if (node.textContent !== text) node.textContent = text;
}
