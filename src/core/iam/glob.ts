/**
 * Linear-time glob matching for IAM patterns. A pattern comes from input (a policy, an
 * annotation, config), so it must never be handed to a backtracking RegExp: 24 stars in a
 * Resource took seconds that way. Here a pattern is compiled to tokens once and matched
 * without backtracking:
 * - patterns whose wildcards may match any character use the greedy two-pointer matcher
 *   (resume after the last `*` on a mismatch), at most len(pattern) × len(value) steps;
 * - ARN patterns whose wildcards must stay inside a segment (no `:`) are simulated as a
 *   set of pattern positions advanced one character at a time, the same bound.
 * Values and literals are compared by code point, so `?` matches one character as the old
 * Unicode RegExps did. Every match charges its steps to the open review's work budget.
 */

import { chargeWork } from "./work-budget.js";

/** `*`: any run of characters. */
export const STAR = -1;
/** `*` inside an ARN segment: any run without `:`. */
export const STAR_IN_SEGMENT = -2;
/** `?`: exactly one character. */
export const ONE = -3;
/** `?` inside an ARN segment: one character other than `:`. */
export const ONE_IN_SEGMENT = -4;

const COLON = 0x3a;

/** Literal code points (≥ 0) and wildcard tokens (< 0). */
export interface Glob {
  readonly tokens: Int32Array;
  /** Some wildcard must stay inside an ARN segment: the two-pointer matcher cannot be used. */
  readonly segmented: boolean;
  readonly caseInsensitive: boolean;
}

const ESCAPED: Readonly<Record<string, number>> = { "${*}": 0x2a, "${?}": 0x3f, "${$}": 0x24 };

/**
 * Appends the tokens of one pattern (or ARN segment) to `out`. `star`/`one` say what `*`
 * and `?` become. `${*}`, `${?}`, `${$}` are the literal characters; any other `${…}` is
 * literal text (request values are never substituted).
 */
export function tokenize(pattern: string, out: number[], star = STAR, one = ONE, caseInsensitive = false): void {
  let index = 0;
  while (index < pattern.length) {
    const code = pattern.charCodeAt(index);
    if (code === 0x24 && pattern.charCodeAt(index + 1) === 0x7b) {
      const escaped = ESCAPED[pattern.slice(index, index + 4)];
      if (escaped !== undefined) {
        out.push(escaped);
        index += 4;
        continue;
      }
    }
    if (code === 0x2a) out.push(star);
    else if (code === 0x3f) out.push(one);
    else {
      const point = pattern.codePointAt(index) as number;
      out.push(caseInsensitive ? fold(point) : point);
      index += point > 0xffff ? 2 : 1;
      continue;
    }
    index += 1;
  }
}

export function compileGlob(pattern: string, caseInsensitive = false): Glob {
  const tokens: number[] = [];
  tokenize(pattern, tokens, STAR, ONE, caseInsensitive);
  return { tokens: Int32Array.from(tokens), segmented: false, caseInsensitive };
}

/** Case folding of one code point: ASCII directly, other letters through toLowerCase. */
export function fold(point: number): number {
  if (point < 0x80) return point >= 0x41 && point <= 0x5a ? point + 0x20 : point;
  const lower = String.fromCodePoint(point).toLowerCase();
  const folded = lower.codePointAt(0) as number;
  // A letter whose lower case is longer (İ → i̇) keeps its own code point.
  return lower.length === (folded > 0xffff ? 2 : 1) ? folded : point;
}

/** Matches and returns the steps taken (for tests and the work budget). */
export function matchGlobCounted(glob: Glob, value: string): { matched: boolean; steps: number } {
  const matched = matchSteps(glob, value);
  return { matched, steps: stepsTaken };
}

/** Matches, charging the steps to the open work budget. */
export function matchGlob(glob: Glob, value: string): boolean {
  const matched = matchSteps(glob, value);
  chargeWork(stepsTaken, "matching wildcard patterns");
  return matched;
}

/**
 * The steps of the last match, beside its boolean result rather than in an object with it:
 * every request evaluated matches a few patterns, and an object per match added up.
 */
let stepsTaken = 0;

function finish(matched: boolean, steps: number): boolean {
  stepsTaken = steps;
  return matched;
}

function matchSteps(glob: Glob, value: string): boolean {
  return glob.segmented ? matchBySimulation(glob, value) : matchGreedy(glob, value);
}

function pointAt(value: string, index: number, caseInsensitive: boolean): number {
  const point = value.codePointAt(index) as number;
  return caseInsensitive ? fold(point) : point;
}

/**
 * The greedy two-pointer matcher: advance both while they agree; on `*` remember where it
 * was and let it match nothing; on a mismatch let the last `*` take one more character and
 * retry from just after it. Earlier stars never need revisiting (the last one can absorb
 * anything they could), so this never backtracks further.
 */
function matchGreedy(glob: Glob, value: string): boolean {
  const { tokens, caseInsensitive } = glob;
  const patternLength = tokens.length;
  let p = 0;
  let v = 0;
  let starAt = -1;
  let resumeAt = 0;
  let steps = 0;
  while (v < value.length) {
    steps += 1;
    const token = p < patternLength ? (tokens[p] as number) : 0;
    if (p < patternLength && token === STAR) {
      starAt = p;
      resumeAt = v;
      p += 1;
      continue;
    }
    const point = pointAt(value, v, caseInsensitive);
    if (p < patternLength && (token === ONE || token === point)) {
      p += 1;
      v += point > 0xffff ? 2 : 1;
      continue;
    }
    if (starAt < 0) return finish(false, steps);
    p = starAt + 1;
    const skipped = value.codePointAt(resumeAt) as number;
    resumeAt += skipped > 0xffff ? 2 : 1;
    v = resumeAt;
  }
  while (p < patternLength && tokens[p] === STAR) p += 1;
  return finish(p === patternLength, steps);
}

/**
 * Position-set simulation (Thompson): the set of pattern positions reachable after each
 * value character. Each character costs at most one step per live position, so at most
 * len(pattern) × len(value) steps, whatever the pattern.
 */
function matchBySimulation(glob: Glob, value: string): boolean {
  const { tokens, caseInsensitive } = glob;
  const length = tokens.length;
  let live = new Int32Array(length + 1);
  let next = new Int32Array(length + 1);
  const seen = new Int32Array(length + 1);
  let generation = 1;
  let liveCount = 0;
  let nextCount = 0;
  let steps = 0;
  // Adds a position and every position reachable from it by letting stars match nothing.
  const add = (position: number): void => {
    let at = position;
    while (at <= length && seen[at] !== generation) {
      seen[at] = generation;
      next[nextCount++] = at;
      const token = tokens[at];
      if (at === length || (token !== STAR && token !== STAR_IN_SEGMENT)) return;
      at += 1;
    }
  };
  add(0);
  [live, next] = [next, live];
  liveCount = nextCount;
  for (let v = 0; v < value.length && liveCount > 0;) {
    const point = pointAt(value, v, caseInsensitive);
    generation += 1;
    nextCount = 0;
    for (let i = 0; i < liveCount; i += 1) {
      const position = live[i] as number;
      if (position === length) continue;
      steps += 1;
      const token = tokens[position] as number;
      if (token === STAR || (token === STAR_IN_SEGMENT && point !== COLON)) add(position);
      else if (token === ONE || (token === ONE_IN_SEGMENT && point !== COLON) || token === point) add(position + 1);
    }
    [live, next] = [next, live];
    liveCount = nextCount;
    v += point > 0xffff ? 2 : 1;
  }
  for (let i = 0; i < liveCount; i += 1) if (live[i] === length) return finish(true, steps);
  return finish(false, steps);
}

/**
 * Counts characters and wildcards of a pattern, for the limits that make an oversized
 * pattern a policy error instead of an expensive one.
 */
export function wildcardCount(pattern: string): number {
  // indexOf jumps between occurrences (fast on long literal runs); escapes are taken back out.
  const count = (needle: string): number => {
    let found = 0;
    for (let at = pattern.indexOf(needle); at >= 0; at = pattern.indexOf(needle, at + 1)) found += 1;
    return found;
  };
  const wildcards = count("*") + count("?");
  if (wildcards === 0) return 0;
  let escaped = 0;
  for (let at = pattern.indexOf("${"); at >= 0; at = pattern.indexOf("${", at + 1)) {
    const inner = pattern.charCodeAt(at + 2);
    if ((inner === 0x2a || inner === 0x3f) && pattern.charCodeAt(at + 3) === 0x7d) escaped += 1;
  }
  return wildcards - escaped;
}
