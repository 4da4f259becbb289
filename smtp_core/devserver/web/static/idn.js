// International domains as a person reads them.  The API gives addresses as
// the message's headers hold them (an IDNA domain in A-labels, "xn--...", as
// Mailpit does); the page shows the U-labels.  Rules:
//   - each "xn--" label is decoded with Punycode (RFC 3492, section 6.2);
//   - the decoded domain must encode back to the very same A-labels under
//     the browser's own IDNA rules (the URL parser's UTS 46), which refuses
//     what IDNA does not allow;
//   - a decoded domain is shown in lower case, as IDNA gives it;
//   - anything that does not decode, or does not come back the same, is
//     shown as it came.

const BASE = 36, T_MIN = 1, T_MAX = 26, SKEW = 38, DAMP = 700, INITIAL_BIAS = 72, INITIAL_N = 128;
const MAX_CODE_POINT = 0x10ffff;

function adapt(delta, points, first) {
  delta = first ? Math.floor(delta / DAMP) : delta >> 1;
  delta += Math.floor(delta / points);
  let k = 0;
  while (delta > ((BASE - T_MIN) * T_MAX) >> 1) { // ends: delta shrinks by a factor of 35 each turn
    delta = Math.floor(delta / (BASE - T_MIN));
    k += BASE;
  }
  return k + Math.floor(((BASE - T_MIN + 1) * delta) / (delta + SKEW));
}

function digit(code) {
  if (code >= 48 && code <= 57) return code - 22; // 0-9 are 26-35
  if (code >= 65 && code <= 90) return code - 65; // A-Z
  if (code >= 97 && code <= 122) return code - 97; // a-z
  return BASE;
}

// One label's Punycode (without "xn--") decoded; throws on bad input.
export function decodeLabel(encoded) {
  const delimiter = encoded.lastIndexOf("-");
  const output = [];
  for (let j = 0; j < Math.max(delimiter, 0); j += 1) {
    const code = encoded.charCodeAt(j);
    if (code >= 0x80) throw new RangeError("not basic");
    output.push(code);
  }
  let n = INITIAL_N, i = 0, bias = INITIAL_BIAS;
  let position = delimiter > 0 ? delimiter + 1 : 0;
  while (position < encoded.length) { // each turn reads at least one character
    const old = i;
    for (let weight = 1, k = BASE; ; k += BASE) {
      if (position >= encoded.length) throw new RangeError("truncated");
      const value = digit(encoded.charCodeAt(position));
      position += 1;
      if (value >= BASE) throw new RangeError("bad digit");
      i += value * weight;
      const threshold = k <= bias ? T_MIN : k >= bias + T_MAX ? T_MAX : k - bias;
      if (value < threshold) break;
      weight *= BASE - threshold;
      if (i > MAX_CODE_POINT * (output.length + 1) || weight > MAX_CODE_POINT * BASE) throw new RangeError("overflow");
    }
    const length = output.length + 1;
    bias = adapt(i - old, length, old === 0);
    n += Math.floor(i / length);
    i %= length;
    if (n > MAX_CODE_POINT) throw new RangeError("overflow");
    output.splice(i, 0, n);
    i += 1;
  }
  return String.fromCodePoint(...output);
}

// A domain in U-labels, or the domain itself when it has none to decode.
export function shownDomain(domain) {
  if (!/(^|\.)xn--/i.test(domain)) return domain;
  try {
    const lowered = domain.toLowerCase(); // as the URL parser and Python's idna give it
    const shown = lowered.split(".").map((label) => (label.startsWith("xn--") ? decodeLabel(label.slice(4)) : label)).join(".");
    return new URL(`http://${shown}/`).hostname === lowered ? shown : domain;
  } catch {
    return domain;
  }
}

export function shownAddress(address) {
  const at = (address || "").lastIndexOf("@");
  return at < 0 ? address || "" : address.slice(0, at + 1) + shownDomain(address.slice(at + 1));
}
