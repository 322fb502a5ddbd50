/**
 * `text` as V8's one shared copy of it, for strings that a large check keeps by the thousand.
 *
 * A string used as a property name is replaced in place by the engine's unique copy of its
 * text. That copy holds nothing else: a substring of a file's text no longer keeps the whole
 * file alive (V8 keeps substrings as views into the text they were cut from), a path built
 * piece by piece is stored flat, and equal strings (the same apiVersion, region or policy
 * path in thousands of objects) share one copy. The value is unchanged; only memory is.
 */
export function intern(text: string): string {
  internTable[text] = 0;
  delete internTable[text];
  return text;
}

const internTable: Record<string, number> = Object.create(null) as Record<string, number>;
