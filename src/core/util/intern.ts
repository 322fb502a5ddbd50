/**
 * `text` as V8's one shared copy of it, for strings that a large check keeps by the thousand.
 *
 * A string used as a property name is replaced in place by the engine's unique copy of its
 * text. That copy holds nothing else: a path built piece by piece (kept by V8 as a tree of
 * the pieces) is stored flat, a substring no longer keeps the whole text it was cut from alive,
 * and equal strings (the same field path, policy condition path or inventory key shape in
 * thousands of objects) share one copy. The value is unchanged; only memory is. Each call
 * costs a hash-table insertion: for strings kept long and many times, not for every string read.
 */
export function intern(text: string): string {
  internTable[text] = 0;
  delete internTable[text];
  return text;
}

const internTable: Record<string, number> = Object.create(null) as Record<string, number>;
