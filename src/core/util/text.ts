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
