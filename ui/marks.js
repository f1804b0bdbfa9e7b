// The service mark: a monogram in a rounded square tinted with the service's
// colour. Our own drawing, never a copied logo.
//
// The colour reaches CSS as a custom property set through the CSSOM, which the
// strict CSP allows (a style attribute in markup would be blocked).

const HEX = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;

// Calm fallbacks for user-added services that name no colour.
const FALLBACK_COLORS = ["#5b5bd6", "#0d8a6a", "#c2410c", "#7c3aed", "#0369a1", "#be185d"];

function expandHex(hex) {
  const h = hex.slice(1);
  return h.length === 3 ? h.split("").map((c) => c + c).join("") : h;
}

/** WCAG relative luminance of a #rgb / #rrggbb colour, 0 (black) to 1 (white). */
export function luminance(hex) {
  const h = expandHex(hex);
  const [r, g, b] = [0, 2, 4].map((i) => {
    const c = parseInt(h.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** The colour to tint with: the service's own if valid, else a stable fallback. */
export function markColor(id, color) {
  if (typeof color === "string" && HEX.test(color)) return color;
  let hash = 0;
  for (const ch of String(id)) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  return FALLBACK_COLORS[hash % FALLBACK_COLORS.length];
}

/** One or two characters for the square: the given monogram or the name's initial. */
export function monogramText(monogram, name) {
  const given = typeof monogram === "string" ? monogram.trim() : "";
  if (given) return Array.from(given).slice(0, 2).join("").toUpperCase();
  const initial = Array.from(String(name || "").trim())[0];
  return initial ? initial.toUpperCase() : "?";
}

/** Build the mark element for a ServiceView. Decorative: the card names the service. */
export function renderMark(view) {
  const mark = document.createElement("span");
  mark.className = "mark";
  mark.setAttribute("aria-hidden", "true");
  const color = markColor(view.id, view.color);
  mark.style.setProperty("--mark", color);
  // Pale colours get dark ink so the letter stays readable.
  if (luminance(color) > 0.45) mark.classList.add("mark--pale");
  const text = monogramText(view.monogram, view.name);
  if (Array.from(text).length > 1) mark.classList.add("mark--pair");
  mark.textContent = text;
  return mark;
}
