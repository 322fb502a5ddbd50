/**
 * IAM wildcard matching: `*` is any run of characters (also none), `?` exactly one.
 * The policy-variable escapes `${*}`, `${?}` and `${$}` stand for a literal `*`, `?` and `$`;
 * every other `${…}` variable is kept as literal text (we never substitute request values).
 * Patterns come from input, so they are matched by the linear-time matcher of glob.ts, never
 * by a backtracking RegExp. Compiled patterns are kept in a cache bounded by total characters
 * (long patterns are not cached at all) because the webhook matches the same few patterns on
 * every admission request.
 */

import { compileGlob, matchGlob, type Glob } from "./glob.js";

export interface WildcardOptions {
  caseInsensitive?: boolean;
}

const LITERAL_ESCAPES: Readonly<Record<string, string>> = { "${*}": "*", "${?}": "?", "${$}": "$" };
const ESCAPE_PATTERN = /\$\{[*?$]\}/g;
const REGEX_SYNTAX = /[\\^$.*+?()[\]{}|/]/g;
/** Patterns longer than this are compiled on every use instead of cached. */
export const MAX_CACHED_PATTERN_CHARS = 512;
/** A cache whose keys add up to more characters than this is dropped whole. */
export const MAX_CACHE_CHARS = 256 * 1024;

const caseSensitiveCache = new Map<string, GlobRegExp>();
const caseInsensitiveCache = new Map<string, GlobRegExp>();

export function escapeRegExp(text: string): string {
  return text.replace(REGEX_SYNTAX, "\\$&");
}

/**
 * True when the text is not one literal string read as written, so plain equality is not
 * enough: it holds `*` or `?`, or `${` — a policy variable (`${aws:username}`, replaced by a
 * request value) or an escape (`${*}` is a literal `*`). A `$` not followed by `{` is just a
 * dollar sign. The one predicate for matching and for rules that want exact names and ids.
 */
export function hasWildcard(pattern: string): boolean {
  return pattern.includes("*") || pattern.includes("?") || pattern.includes("${");
}

/** True when the text holds a policy variable other than the three escapes: its value comes from the request. */
export function hasPolicyVariable(text: string): boolean {
  return /\$\{(?![*?$]\})/.test(text);
}

/** Writes a literal so that matchesWildcard(escapeWildcard(x), y) ⇔ x === y. */
export function escapeWildcard(literal: string): string {
  return literal.replace(/[*?$]/g, (char) => "${" + char + "}");
}

/** Replaces `${*}`, `${?}`, `${$}` by the literal character (for the equality operators). */
export function unescapePolicyVariables(text: string): string {
  if (!text.includes("${")) return text;
  return text.replace(ESCAPE_PATTERN, (escape) => LITERAL_ESCAPES[escape] ?? escape);
}

/**
 * Translates one wildcard pattern to a regex source (no anchors).
 * `star` and `single` say what `*` and `?` become (ARN segments restrict them).
 */
export function wildcardToRegexSource(pattern: string, star = ".*", single = "."): string {
  let source = "";
  let index = 0;
  while (index < pattern.length) {
    const escape = pattern.slice(index, index + 4);
    const literal = LITERAL_ESCAPES[escape];
    if (literal !== undefined) {
      source += escapeRegExp(literal);
      index += 4;
      continue;
    }
    const char = pattern[index] as string;
    if (char === "*") source += star;
    else if (char === "?") source += single;
    else source += escapeRegExp(char);
    index += 1;
  }
  return source;
}

/**
 * A RegExp whose test/exec run the linear-time glob matcher instead of the RegExp engine
 * (the RegExp source is kept for display only). Callers that hold a RegExp keep working.
 */
export class GlobRegExp extends RegExp {
  constructor(
    source: string,
    flags: string,
    readonly glob: Glob,
  ) {
    super(source, flags);
  }

  override test(value: string): boolean {
    return matchGlob(this.glob, String(value));
  }

  override exec(value: string): RegExpExecArray | null {
    const text = String(value);
    if (!this.test(text)) return null;
    const result = [text] as unknown as RegExpExecArray;
    result.index = 0;
    result.input = text;
    return result;
  }
}

/** The source a GlobRegExp displays (never executed): the escaped pattern, cut short. */
function displaySource(pattern: string): string {
  return `^${escapeRegExp(pattern.length > MAX_CACHED_PATTERN_CHARS ? pattern.slice(0, MAX_CACHED_PATTERN_CHARS) : pattern)}`;
}

export function compileWildcard(pattern: string, caseInsensitive = false): RegExp {
  const cache = caseInsensitive ? caseInsensitiveCache : caseSensitiveCache;
  const cached = cache.get(pattern);
  if (cached) return cached;
  const compiled = new GlobRegExp(displaySource(pattern), caseInsensitive ? "isu" : "su", compileGlob(pattern, caseInsensitive));
  remember(cache, pattern, compiled);
  return compiled;
}

const cacheChars = new WeakMap<Map<string, unknown>, number>();

/**
 * Stores a compiled pattern. The bound is on characters, not entries: a key longer than
 * MAX_CACHED_PATTERN_CHARS is not stored, and a cache whose keys reach MAX_CACHE_CHARS is
 * dropped whole (simple, and bounded whatever the input).
 */
export function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  if (key.length > MAX_CACHED_PATTERN_CHARS) return;
  let chars = cacheChars.get(cache) ?? 0;
  if (chars + key.length > MAX_CACHE_CHARS) {
    cache.clear();
    chars = 0;
  }
  if (!cache.has(key)) chars += key.length;
  cache.set(key, value);
  cacheChars.set(cache, chars);
}

export function matchesWildcard(pattern: string, value: string, options: WildcardOptions = {}): boolean {
  if (pattern === "*") return true;
  const caseInsensitive = options.caseInsensitive === true;
  if (!hasWildcard(pattern) && !caseInsensitive) return pattern === value;
  return compileWildcard(pattern, caseInsensitive).test(value);
}
