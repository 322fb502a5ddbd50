/**
 * A fast reader for the YAML that `kubectl get -o yaml`, Helm, Kustomize and people write for
 * manifests: block mappings and sequences, plain, quoted and literal (`|`) scalars, comments,
 * `---` between documents. It is five to ten times faster than the general parser on such
 * input (bench/yaml-parsers.mjs) because it builds the plain values directly, line by line,
 * with no syntax tree.
 *
 * It only reads what it is sure of: anything else (anchors, aliases, tags, flow collections,
 * folded or indented-indicator block scalars, multi-line plain or quoted scalars, directives,
 * tabs, CR line ends, duplicate keys, keys that are not plain strings, and every syntax
 * error) makes it return undefined, and the caller parses the file with the `yaml` package,
 * which also writes the error messages. Values are those of the `yaml` package's YAML 1.2
 * core schema (test/cli/manifest-yaml.test.ts compares the two on generated documents).
 */

export interface FastDocument {
  value: unknown;
  /** 1-based line of the document's first content (the `yaml` package's contents range). */
  line: number;
  /** For a top-level `items:` sequence: the line where each item starts. */
  itemLines?: number[];
}

/** Deeper than this the general parser (which bounds depth with a clear message) takes over. */
const MAX_DEPTH = 64;

class Unsupported extends Error {}
const UNSUPPORTED = new Unsupported();

const KEY = /^([A-Za-z0-9_][A-Za-z0-9_./-]*):(?: +|$)/;
/** A line that starts with a one-line quoted key (the key itself is checked when read). */
const QUOTED_KEY = /^(?:'(?:[^']|'')*'|"(?:[^"\\]|\\.)*"):(?: |$)/;
const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT = /^[-+]?[0-9]+$/;
const OCT = /^0o[0-7]+$/;
const HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_SPECIAL = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;
/** Characters that may not start a plain scalar here, or start what this reader leaves out. */
const PLAIN_START_EXCLUDED = new Set(["[", "]", "{", "}", "#", "&", "*", "!", "|", ">", "'", '"', "%", "@", "`", ",", "?", ":"]);
/** Tabs, CR and characters YAML forbids or treats specially: the general parser's. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const OUTSIDE_SUBSET_CHARACTERS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/;
/** JSON's escapes are a subset of YAML's double-quoted ones, with the same meaning. */
const JSON_ESCAPES = /\\(?:[^"\\/bfnrtu]|u(?![0-9a-fA-F]{4}))/;

/** The documents of `text`, or undefined when the text is outside what this reader handles. */
export function parseManifestYaml(text: string): FastDocument[] | undefined {
  if (OUTSIDE_SUBSET_CHARACTERS.test(text)) return undefined;
  try {
    // A document at a time: the lines of one document are garbage once it is read, where the
    // lines of a whole file (a hundred thousand strings for a few MiB) would outlive many
    // young-generation collections and be copied into the old generation.
    const documents: FastDocument[] = [];
    for (const { from, to, firstLine } of documentSpans(text)) {
      for (const document of new Reader(text.slice(from, to), firstLine).documents()) documents.push(document);
    }
    return documents;
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}

/**
 * The text between `---` lines, each span with the 0-based line it starts on. A `---` line
 * always separates documents here: content of the subset this reader takes is indented
 * under a key, never at column 0. The text of a span ends with the line break before the
 * next `---`, as the reader sees it inside the whole text.
 */
function* documentSpans(text: string): Generator<{ from: number; to: number; firstLine: number }> {
  let from = 0;
  let firstLine = 0;
  /** Start of the next line to look at, and its 0-based number. */
  let lineStart = 0;
  let line = 0;
  while (lineStart < text.length) {
    const later = text.indexOf("\n---", lineStart);
    const marker = text.startsWith("---", lineStart) ? lineStart : later === -1 ? -1 : later + 1;
    if (marker === -1) break; // no further line starts with ---
    line += countLineBreaks(text, lineStart, marker);
    const lineBreak = text.indexOf("\n", marker);
    const end = lineBreak === -1 ? text.length : lineBreak;
    if (isDocumentStart(text.slice(marker, end))) {
      yield { from, to: marker, firstLine };
      from = end + 1;
      firstLine = line + 1;
    }
    lineStart = end + 1;
    line += 1;
  }
  yield { from: Math.min(from, text.length), to: text.length, firstLine };
}

function countLineBreaks(text: string, from: number, to: number): number {
  let count = 0;
  for (let at = text.indexOf("\n", from); at !== -1 && at < to; at = text.indexOf("\n", at + 1)) count++;
  return count;
}

class Reader {
  private readonly lines: string[];
  /** Indentation of each line; -1 for blank and comment-only lines. */
  private readonly indents: Int32Array;
  private i = 0;

  /** `firstLine`: the 0-based line of the whole text where `text` starts. */
  constructor(
    text: string,
    private readonly firstLine = 0,
  ) {
    this.lines = text.split("\n");
    this.indents = new Int32Array(this.lines.length);
    for (let n = 0; n < this.lines.length; n++) this.indents[n] = indentOf(this.lines[n]!);
  }

  documents(): FastDocument[] {
    const documents: FastDocument[] = [];
    const { lines } = this;
    while (this.i < lines.length) {
      // One document: up to the next "---" line.
      this.skipBlank();
      const line = lines[this.i];
      if (line === undefined) break;
      if (isDocumentStart(line)) {
        this.i++;
        continue;
      }
      if (line.startsWith("%") || line.startsWith("...")) throw UNSUPPORTED;
      const start = this.i;
      if (this.indents[start] !== 0 || line.startsWith("- ") || line === "-") throw UNSUPPORTED;
      const itemLines: number[] = [];
      const value = this.mapping(0, 0, itemLines);
      this.skipBlank();
      const next = lines[this.i];
      if (next !== undefined && !isDocumentStart(next)) throw UNSUPPORTED;
      const { firstLine } = this;
      const items = itemLines.map((itemLine) => itemLine + firstLine);
      documents.push({ value, line: start + 1 + firstLine, ...(items.length > 0 ? { itemLines: items } : {}) });
    }
    return documents;
  }

  /** Skips blank and comment-only lines. */
  private skipBlank(): void {
    while (this.i < this.lines.length && this.indents[this.i] === -1) this.i++;
  }

  /** A block mapping whose keys are at `indent`; starts at the current line. */
  private mapping(indent: number, depth: number, itemLines?: number[]): Record<string, unknown> {
    if (depth > MAX_DEPTH) throw UNSUPPORTED;
    const map: Record<string, unknown> = {};
    const seen = new Set<string>();
    for (;;) {
      this.skipBlank();
      if (this.i >= this.lines.length) return map;
      const lineIndent = this.indents[this.i]!;
      if (lineIndent < indent) return map;
      if (lineIndent > indent) throw UNSUPPORTED;
      const line = this.lines[this.i]!;
      if (indent === 0 && (isDocumentStart(line) || line.startsWith("..."))) return map;
      const rest = line.slice(indent);
      // A compact sequence ends at a line of its parent's indent that is not an item.
      if (rest.startsWith("- ") || rest === "-") return map;
      const [key, valueText] = this.key(rest);
      // Merge keys and duplicates are the general parser's.
      if (key === "__proto__" || seen.has(key)) throw UNSUPPORTED;
      seen.add(key);
      this.i++;
      if (valueText === "" || valueText.startsWith("#")) {
        map[key] = this.nestedBlock(indent, depth, true, itemLines !== undefined && key === "items" ? itemLines : undefined);
      } else {
        map[key] = this.inlineValue(valueText, indent);
      }
    }
  }

  /** A mapping key (plain and resolving to a string, or quoted on one line) and the text after its colon. */
  private key(rest: string): [string, string] {
    const first = rest.charAt(0);
    if (first === "'" || first === '"') {
      const [key, end] = first === "'" ? this.singleQuoted(rest) : this.doubleQuoted(rest);
      if (rest.charCodeAt(end) !== 58) throw UNSUPPORTED;
      let from = end + 1;
      if (from < rest.length && rest.charCodeAt(from) !== 32) throw UNSUPPORTED;
      while (rest.charCodeAt(from) === 32) from++;
      return [key, rest.slice(from)];
    }
    const match = KEY.exec(rest);
    // Keys that resolve to null, booleans or numbers become other strings in JavaScript objects.
    if (match === null || resolvePlain(match[1]!) !== match[1]) throw UNSUPPORTED;
    return [match[1]!, rest.slice(match[0].length)];
  }

  /** What follows `key:` at the end of a line: a deeper block, a sequence at the key's indent, or null. */
  private nestedBlock(parentIndent: number, depth: number, afterKey: boolean, itemLines?: number[]): unknown {
    this.skipBlank();
    if (this.i >= this.lines.length) return null;
    const lineIndent = this.indents[this.i]!;
    const line = this.lines[this.i]!;
    const rest = line.slice(lineIndent);
    const isItem = rest.startsWith("- ") || rest === "-";
    if (lineIndent > parentIndent) {
      return isItem ? this.sequence(lineIndent, depth + 1, itemLines) : this.mapping(lineIndent, depth + 1);
    }
    if (afterKey && lineIndent === parentIndent && isItem) return this.sequence(lineIndent, depth + 1, itemLines);
    return null;
  }

  /** A block sequence whose dashes are at `indent`. */
  private sequence(indent: number, depth: number, itemLines?: number[]): unknown[] {
    if (depth > MAX_DEPTH) throw UNSUPPORTED;
    const items: unknown[] = [];
    for (;;) {
      this.skipBlank();
      if (this.i >= this.lines.length) return items;
      const lineIndent = this.indents[this.i]!;
      if (lineIndent < indent) return items;
      if (lineIndent > indent) throw UNSUPPORTED;
      const line = this.lines[this.i]!;
      const rest = line.slice(indent);
      if (!(rest.startsWith("- ") || rest === "-")) return items;
      let offset = 1;
      while (rest.charCodeAt(offset) === 32) offset++;
      const content = rest.slice(offset);
      const itemLine = this.i;
      if (content === "" || content.startsWith("#")) {
        this.i++;
        this.skipBlank();
        itemLines?.push(this.i + 1);
        items.push(this.nestedBlock(indent, depth, false));
        continue;
      }
      itemLines?.push(itemLine + 1);
      if (content.startsWith("- ") || content === "-") throw UNSUPPORTED;
      if (KEY.test(content) || QUOTED_KEY.test(content)) {
        // `- key: value`: a mapping whose keys are at the column of this first key.
        const column = indent + offset;
        this.lines[this.i] = " ".repeat(column) + content;
        this.indents[this.i] = column;
        items.push(this.mapping(column, depth + 1));
        continue;
      }
      this.i++;
      items.push(this.inlineValue(content, indent));
    }
  }

  /** A scalar (or `[]`/`{}`) written after `key: ` or `- `; `ownerIndent` is the key's or dash's indent. */
  private inlineValue(text: string, ownerIndent: number): unknown {
    const first = text.charAt(0);
    let value: unknown;
    if (first === "'" || first === '"') {
      const [quoted, end] = first === "'" ? this.singleQuoted(text) : this.doubleQuoted(text);
      expectLineEnd(text, end);
      value = quoted;
    } else if (first === "|") {
      return this.literalBlock(text, ownerIndent);
    } else if (text === "[]" || text === "{}" || text.startsWith("[] #") || text.startsWith("{} #")) {
      value = first === "[" ? [] : {};
    } else {
      value = this.plain(text);
    }
    // A continuation line (multi-line scalar) or a nested block after a scalar: not ours.
    this.skipBlank();
    if (this.i < this.lines.length && this.indents[this.i]! > ownerIndent) throw UNSUPPORTED;
    return value;
  }

  private plain(text: string): unknown {
    const first = text.charAt(0);
    if (PLAIN_START_EXCLUDED.has(first) || (first === "-" && (text.length === 1 || text.charAt(1) === " "))) throw UNSUPPORTED;
    let end = text.indexOf(" #");
    if (end === -1) end = text.length;
    const scalar = text.slice(0, end).trimEnd();
    // ": " or a trailing ":" would make it a mapping (an error in this position).
    if (scalar.includes(": ") || scalar.endsWith(":")) throw UNSUPPORTED;
    return resolvePlain(scalar);
  }

  /** A one-line single-quoted scalar at the start of `text`, and the offset after its closing quote. */
  private singleQuoted(text: string): [string, number] {
    let out = "";
    let from = 1;
    for (;;) {
      const quote = text.indexOf("'", from);
      if (quote === -1) throw UNSUPPORTED; // continues on the next line
      if (text.charCodeAt(quote + 1) === 39) {
        out += text.slice(from, quote + 1);
        from = quote + 2;
        continue;
      }
      return [out + text.slice(from, quote), quote + 1];
    }
  }

  /** A one-line double-quoted scalar with JSON's escapes only, and the offset after its closing quote. */
  private doubleQuoted(text: string): [string, number] {
    let quote = 1;
    for (;;) {
      quote = text.indexOf('"', quote);
      if (quote === -1) throw UNSUPPORTED;
      let backslashes = 0;
      while (text.charCodeAt(quote - 1 - backslashes) === 92) backslashes++;
      if (backslashes % 2 === 0) break;
      quote++;
    }
    const literal = text.slice(0, quote + 1);
    if (JSON_ESCAPES.test(literal)) throw UNSUPPORTED;
    try {
      return [JSON.parse(literal) as string, quote + 1];
    } catch {
      throw UNSUPPORTED; // control characters and the like
    }
  }

  /**
   * `|` or `|-`: the lines below, more indented than the owner, kept as written. Blocks that
   * start or end with whitespace-only lines, or end the text without a line break, are left
   * to the general parser (chomping and indentation rules are subtle there).
   */
  private literalBlock(header: string, ownerIndent: number): string {
    if (header !== "|" && header !== "|-") throw UNSUPPORTED;
    const { lines } = this;
    const firstLine = lines[this.i];
    if (firstLine === undefined || firstLine.trim() === "") throw UNSUPPORTED;
    const contentIndent = indentOf(firstLine, true);
    if (contentIndent <= ownerIndent) throw UNSUPPORTED;
    const body: string[] = [];
    let blankRun = 0;
    for (; this.i < lines.length; this.i++) {
      const line = lines[this.i]!;
      if (line.trim() === "") {
        if (line.length > contentIndent) throw UNSUPPORTED;
        blankRun++;
        continue;
      }
      if (indentOf(line, true) < contentIndent) break;
      for (; blankRun > 0; blankRun--) body.push("");
      body.push(line.slice(contentIndent));
    }
    // Last content line without a line break after it: the general parser decides.
    if (this.i === lines.length && blankRun === 0) throw UNSUPPORTED;
    // Trailing blank lines are dropped by both chomping modes read here; a less-indented
    // line inside the owner is an error, found by the caller.
    this.i -= blankRun;
    const content = body.join("\n");
    return header === "|" ? `${content}\n` : content;
  }
}

function isDocumentStart(line: string): boolean {
  return line.startsWith("---") && line.slice(3).trim() === "";
}

/** Spaces before the first character; -1 for a blank or comment-only line (unless `raw`). */
function indentOf(line: string, raw = false): number {
  let n = 0;
  while (line.charCodeAt(n) === 32) n++;
  if (raw) return n;
  return n === line.length || line.charCodeAt(n) === 35 ? -1 : n;
}

/** After a closing quote: nothing, or spaces and a comment. */
function expectLineEnd(text: string, from: number): void {
  const tail = text.slice(from);
  if (tail.trim() === "") return;
  if (/^ +#/.test(tail)) return;
  throw UNSUPPORTED;
}

/** A plain scalar's value in the YAML 1.2 core schema, as the `yaml` package resolves it. */
export function resolvePlain(text: string): unknown {
  const first = text.charCodeAt(0);
  // Only these can start a non-string: ~ n N t T f F digits + - .
  if (
    !(
      first === 126 ||
      first === 110 ||
      first === 78 ||
      first === 116 ||
      first === 84 ||
      first === 102 ||
      first === 70 ||
      (first >= 48 && first <= 57) ||
      first === 43 ||
      first === 45 ||
      first === 46
    ) &&
    text !== ""
  ) {
    return text;
  }
  if (NULL.test(text)) return null;
  if (BOOL.test(text)) return text[0] === "t" || text[0] === "T";
  if (OCT.test(text)) return parseInt(text.substring(2), 8);
  if (INT.test(text)) return parseInt(text, 10);
  if (HEX.test(text)) return parseInt(text.substring(2), 16);
  if (FLOAT_SPECIAL.test(text)) {
    return text.slice(-3).toLowerCase() === "nan" ? NaN : text[0] === "-" ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (FLOAT_EXP.test(text) || FLOAT.test(text)) return parseFloat(text);
  return text;
}
