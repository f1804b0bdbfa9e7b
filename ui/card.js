// One ServiceView drawn as one card, in every state.
//
// A card is rebuilt whole whenever its view changes; `local` carries what only
// the page knows (an action in flight, an inline error, a notice, whether the
// sign-in link is shown), so a rebuild never loses it. The hooks tests rely on
// are fixed by the contract: data-service, data-state, data-action, and on
// anything that acts on one account, data-account.

import { accountLabels, accountName, accountsBody, addAccountButton } from "./accounts.js";
import { renderMark } from "./marks.js";
import {
  attentionNote,
  button,
  domId,
  el,
  fillExpiry,
  fillFreshness,
  missingChips,
  paragraph,
  scopeChips,
  timesBlock,
} from "./parts.js";

/** The short status under the service name, per state. */
const STATUS_TEXT = {
  not_configured: "Needs setup",
  not_connected: "Not connected",
  connecting: "Waiting for your browser",
  connected: "Connected",
  needs_reconnect: "Needs you to sign in again",
  error: "Something went wrong",
};

/** Page-side state of a card that a new ServiceView must not wipe out. */
export function emptyLocal() {
  return { busy: null, error: null, notice: null, linkShown: false };
}

/** Several accounts get the list of accounts.js; one keeps the layout below. */
function hasSeveral(view) {
  return Array.isArray(view.accounts) && view.accounts.length > 1;
}

/** The only account of a single-account card, when the service has one. */
function onlyAccount(view) {
  return Array.isArray(view.accounts) && view.accounts.length === 1 ? view.accounts[0] : null;
}

/** Button options naming the only account, so its buttons say whom they act on. */
function onlyOptions(view, kind) {
  const only = onlyAccount(view);
  if (!only) return {};
  return { account: only.label, ariaLabel: accountLabels(accountName(only), view.name)[kind] };
}

function connectedBody(view, local, now) {
  const parts = [];
  const who = el("p", "account");
  if (view.account) {
    who.append("Signed in as ", el("strong", null, view.account));
  } else {
    who.textContent = "Signed in";
  }
  parts.push(who);
  if (view.method_label) parts.push(paragraph("method muted", view.method_label));
  parts.push(
    scopeChips(view.scopes, {
      heading: "Can use",
      headingId: domId(view.id, "perms"),
      serviceName: view.name,
    }),
  );
  const only = onlyAccount(view);
  const missing = missingChips(view.missing_scopes, {
    serviceName: view.name,
    who: view.account,
    account: only && only.label,
    local,
  });
  if (missing) parts.push(missing);
  parts.push(timesBlock(view, now));
  const attention = attentionNote(only && only.attention, now);
  if (attention) parts.push(attention);
  // A key from the environment is no account: nothing to add beside it.
  if (only) parts.push(addAccountButton(view, local));
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

function connectedContent(view, local, now) {
  const actions = [];
  if (view.can_refresh) {
    actions.push(button("refresh", "Refresh now", "secondary", local, onlyOptions(view, "refresh")));
  }
  actions.push(button("logout", "Log out", "secondary", local, onlyOptions(view, "logout")));
  const body = connectedBody(view, local, now);
  if (view.message) body.push(paragraph("note note--info", view.message));
  return { body, actions };
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
    case "connected":
    case "needs_reconnect":
      if (hasSeveral(view)) {
        // Each row has its own buttons and reasons; the card keeps only what
        // is about the service as a whole (the last outcome's message).
        const body = accountsBody(view, local, now);
        const own = view.accounts.find((a) => a.default);
        if (view.message && (!own || own.message !== view.message)) {
          body.push(paragraph("note note--info", view.message));
        }
        return { body, actions: [] };
      }
      if (view.state === "needs_reconnect") {
        const only = onlyAccount(view);
        const noticed = attentionNote(only && only.attention, now);
        return {
          body: [
            paragraph("note note--warn", view.message || `${name} asked you to sign in again.`),
            ...(noticed ? [noticed] : []),
          ],
          actions: [
            button("logout", "Log out", "secondary", local, onlyOptions(view, "logout")),
            button("reconnect", "Reconnect", "primary", local, onlyOptions(view, "reconnect")),
          ],
        };
      }
      return connectedContent(view, local, now);
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
  if (hasSeveral(view) && view.state !== "connecting") {
    status.append(` · ${view.accounts.length} accounts`);
  }
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

  card.append(head, bodyEl);
  // A card of several accounts has its buttons on the rows, none below.
  if (actions.length > 0) {
    const actionRow = el("div", "card-actions");
    actionRow.append(...actions);
    card.append(actionRow);
  }
  return card;
}

/** Re-word every countdown under `root` for `now`; cheap enough to run each second. */
export function refreshTimes(root, now) {
  for (const node of root.querySelectorAll(".expiry[data-expires-at]")) fillExpiry(node, now);
  for (const node of root.querySelectorAll(".freshness")) fillFreshness(node, now);
}
