// The accounts of one service on its card: who each is, until when, what it
// may use and was refused, and its own Make default / Refresh now / Log out.
//
// A card with one account keeps the roomy layout of earlier releases
// (card.js); this is the list a card switches to once a second account
// arrives, tight enough that three stay readable in a card of the grid.
// Every per-account button carries data-account (the AccountView label) and
// an aria-label that names the account and the service.

import { attentionNote, button, el, missingChips, paragraph, scopeChips, timesBlock } from "./parts.js";

/** An account as sentences name it; the service may have given no identity. */
export function accountName(account) {
  return (account && account.account) || "the unnamed account";
}

/** The spoken names of an account's buttons ("Log out ada@example.com from Google"). */
export function accountLabels(who, serviceName) {
  return {
    logout: `Log out ${who} from ${serviceName}`,
    refresh: `Refresh ${who} on ${serviceName}`,
    makeDefault: `Make ${who} the default ${serviceName} account`,
    reconnect: `Sign in to ${serviceName} again as ${who}`,
  };
}

/** "Add another account": a quiet button, so a card's main actions stay its own. */
export function addAccountButton(view, local) {
  const b = button("add-account", "Add another account", "link", local, {
    ariaLabel: `Add another ${view.name} account`,
  });
  const row = el("div", "add-account");
  row.append(b);
  return row;
}

function accountRow(view, account, local, now) {
  const who = accountName(account);
  const labels = accountLabels(who, view.name);
  const row = el("li", `acct${account.default ? " acct--default" : ""}`);
  row.dataset.account = account.label;
  row.dataset.default = String(account.default);
  row.dataset.accountState = account.state;

  const head = el("div", "acct-head");
  head.append(el("strong", "acct-name", who));
  const opts = (ariaLabel) => ({ account: account.label, ariaLabel, small: true });
  // Where the default shows its badge, the others offer to take its place.
  if (account.default) {
    const badge = el("span", "badge", "Default");
    badge.dataset.role = "default-badge";
    head.append(badge);
  } else {
    head.append(button("make-default", "Make default", "link", local, opts(labels.makeDefault)));
  }
  row.append(head);

  if (account.state === "connected") {
    row.append(timesBlock(account, now, "times times--inline"));
  }
  if (account.message) {
    const tone = account.state === "connected" ? "note--info" : "note--warn";
    row.append(paragraph(`note ${tone}`, account.message));
  }
  const attention = attentionNote(account.attention, now);
  if (attention) row.append(attention);
  row.append(
    scopeChips(account.scopes, {
      serviceName: view.name,
      ariaLabel: `What ${who} can use`,
    }),
  );
  const missing = missingChips(account.missing_scopes, {
    serviceName: view.name,
    who,
    account: account.label,
    local,
  });
  if (missing) row.append(missing);

  const actions = el("div", "acct-actions");
  if (account.state === "needs_reconnect") {
    actions.append(button("reconnect", "Sign in again", "primary", local, opts(labels.reconnect)));
  }
  if (account.can_refresh) {
    actions.append(button("refresh", "Refresh now", "secondary", local, opts(labels.refresh)));
  }
  actions.append(button("logout", "Log out", "secondary", local, opts(labels.logout)));
  row.append(actions);
  return row;
}

/** The body of a card with several accounts: one row each, then "Add another account". */
export function accountsBody(view, local, now) {
  const list = el("ul", "accts");
  list.setAttribute("aria-label", `${view.name} accounts`);
  for (const account of view.accounts) list.append(accountRow(view, account, local, now));
  return [list, addAccountButton(view, local)];
}
