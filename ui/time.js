// Plain-language wording for times shown on the cards.
//
// Every function takes `now` (unix seconds) as a parameter instead of reading
// the clock, so the wording can be checked for any moment and the page's single
// ticker decides when "now" is.

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Current time in unix seconds; the only place the UI reads the clock. */
export function nowSeconds() {
  return Date.now() / 1000;
}

function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

/** "2 h 5 min", "42 min", "1 h", "3 days": a rounded-down span for people. */
export function formatSpan(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s < MINUTE) return plural(s, "second", "seconds");
  if (s < HOUR) return `${Math.floor(s / MINUTE)} min`;
  if (s < DAY) {
    const h = Math.floor(s / HOUR);
    const m = Math.floor((s % HOUR) / MINUTE);
    return m === 0 ? `${h} h` : `${h} h ${m} min`;
  }
  return plural(Math.floor(s / DAY), "day", "days");
}

/**
 * How long until an access expires.
 * Returns {text, level}: level is "none" (never expires), "ok", "soon"
 * (under five minutes) or "expired", so the card can tint it.
 */
export function describeExpiry(expiresAt, now) {
  if (expiresAt === null || expiresAt === undefined) {
    return { text: "Does not expire", level: "none" };
  }
  const left = expiresAt - now;
  if (left <= 0) return { text: "Expired", level: "expired" };
  if (left > 60 * DAY) {
    return { text: `Expires on ${formatDate(expiresAt)}`, level: "ok" };
  }
  return {
    text: `Expires in ${formatSpan(left)}`,
    level: left < 5 * MINUTE ? "soon" : "ok",
  };
}

/** "3 min ago", "just now", "yesterday", "12 days ago". */
export function formatAgo(then, now) {
  const ago = now - then;
  if (ago < MINUTE) return "just now"; // also absorbs small clock skew
  if (ago < HOUR) return `${Math.floor(ago / MINUTE)} min ago`;
  if (ago < DAY) return `${Math.floor(ago / HOUR)} h ago`;
  if (ago < 2 * DAY) return "yesterday";
  return `${Math.floor(ago / DAY)} days ago`;
}

/**
 * The "when did this last change" line of a connected card: "Refreshed 3 min
 * ago" if the access was renewed, else "Signed in 2 days ago", else null.
 */
export function describeFreshness(refreshedAt, obtainedAt, now) {
  if (refreshedAt !== null && refreshedAt !== undefined) {
    return `Refreshed ${formatAgo(refreshedAt, now)}`;
  }
  if (obtainedAt !== null && obtainedAt !== undefined) {
    return `Signed in ${formatAgo(obtainedAt, now)}`;
  }
  return null;
}

/** A calendar date such as "12 March 2026" in the person's own locale. */
export function formatDate(unixSeconds) {
  return new Date(unixSeconds * 1000).toLocaleDateString(undefined, {
    day: "numeric",
    month: "long",
    year: "numeric",
  });
}

/** Date and time, for tooltips: "12 March 2026, 14:32". */
export function formatDateTime(unixSeconds) {
  return new Date(unixSeconds * 1000).toLocaleString(undefined, {
    day: "numeric",
    month: "long",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}
