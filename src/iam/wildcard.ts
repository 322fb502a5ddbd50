/**
 * IAM wildcard matching: `*` is any run of characters (also none), `?` exactly one.
 * The policy-variable escapes `${*}`, `${?}` and `${$}` stand for a literal `*`, `?` and `$`;
 * every other `${…}` variable is kept as literal text (we never substitute request values).
 * Patterns are compiled to anchored RegExps once and kept in a small bounded cache because
 * the webhook matches the same few patterns on every admission request.
 */

export interface WildcardOptions {
  caseInsensitive?: boolean;
}

const LITERAL_ESCAPES: Readonly<Record<string, string>> = { "${*}": "*", "${?}": "?", "${$}": "$" };
const ESCAPE_PATTERN = /\$\{[*?$]\}/g;
const REGEX_SYNTAX = /[\\^$.*+?()[\]{}|/]/g;
const CACHE_LIMIT = 4096;

const caseSensitiveCache = new Map<string, RegExp>();
const caseInsensitiveCache = new Map<string, RegExp>();

export function escapeRegExp(text: string): string {
  return text.replace(REGEX_SYNTAX, "\\$&");
}

/** True when the pattern has a wildcard or an escape, i.e. plain equality is not enough. */
export function hasWildcard(pattern: string): boolean {
  return pattern.includes("*") || pattern.includes("?") || pattern.includes("$");
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

export function compileWildcard(pattern: string, caseInsensitive = false): RegExp {
  const cache = caseInsensitive ? caseInsensitiveCache : caseSensitiveCache;
  const cached = cache.get(pattern);
  if (cached) return cached;
  const compiled = new RegExp(`^${wildcardToRegexSource(pattern)}$`, caseInsensitive ? "isu" : "su");
  remember(cache, pattern, compiled);
  return compiled;
}

/** Stores a compiled pattern; a full cache is dropped whole (simple and bounded). */
export function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
}

export function matchesWildcard(pattern: string, value: string, options: WildcardOptions = {}): boolean {
  if (pattern === "*") return true;
  const caseInsensitive = options.caseInsensitive === true;
  if (!hasWildcard(pattern) && !caseInsensitive) return pattern === value;
  return compileWildcard(pattern, caseInsensitive).test(value);
}
