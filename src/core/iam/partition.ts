/**
 * Finite partitions of a condition key's (or a resource's) value domain: one representative
 * value for every class of values that the policy's literals, wildcard patterns, numbers,
 * dates and CIDR blocks cannot tell apart. Two values in one class make every condition of
 * the policy come out the same, so checking the representatives checks every value.
 *
 * Strings: a lazy breadth-first walk over the determinised product of the patterns' automata
 * (`*`, `?`, literal characters; optionally case-insensitive) visits every reachable
 * combination of "which patterns match", with the shortest string that reaches it. The alphabet
 * is the characters the patterns name plus one fresh character, which stands for every other.
 * The walk has a state budget: over it, the partition is marked incomplete (a representative
 * may be missing), and callers must not conclude "always" or "never" from it.
 */

import { parseDate, parseNumber } from "./conditions.js";
import { parseCidr, parseIp, type Cidr } from "./ip.js";
import { remember } from "./wildcard.js";

export interface StringPattern {
  pattern: string;
  /** `*` and `?` are wildcards (StringLike); otherwise the pattern is a literal (StringEquals). */
  wildcards: boolean;
  caseInsensitive: boolean;
}

export interface Partition {
  values: string[];
  /** False when the walk ran out of budget: some class may have no representative. */
  complete: boolean;
}

type Token = { kind: "star" } | { kind: "one" } | { kind: "char"; char: string; fold: boolean };

const ESCAPES: Readonly<Record<string, string>> = { "${*}": "*", "${?}": "?", "${$}": "$" };

function tokenize({ pattern, wildcards, caseInsensitive }: StringPattern): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < pattern.length) {
    const escape = ESCAPES[pattern.slice(index, index + 4)];
    if (escape !== undefined) {
      tokens.push({ kind: "char", char: escape, fold: caseInsensitive });
      index += 4;
      continue;
    }
    const char = pattern[index] as string;
    if (wildcards && char === "*") tokens.push({ kind: "star" });
    else if (wildcards && char === "?") tokens.push({ kind: "one" });
    else tokens.push({ kind: "char", char: caseInsensitive ? char.toLowerCase() : char, fold: caseInsensitive });
    index += 1;
  }
  return tokens;
}

/** Positions reachable without reading a character (a `*` may match nothing). */
function closure(tokens: Token[], positions: Iterable<number>): number[] {
  const out = new Set<number>();
  for (const start of positions) {
    let position = start;
    out.add(position);
    while (position < tokens.length && tokens[position]!.kind === "star") {
      position += 1;
      out.add(position);
    }
  }
  return [...out].sort((a, b) => a - b);
}

function step(tokens: Token[], positions: number[], char: string): number[] {
  const next: number[] = [];
  for (const position of positions) {
    const token = tokens[position];
    if (!token) continue;
    if (token.kind === "star") next.push(position);
    else if (token.kind === "one") next.push(position + 1);
    else if ((token.fold ? char.toLowerCase() : char) === token.char) next.push(position + 1);
  }
  return closure(tokens, next);
}

const FRESH_CHARACTERS = ["x", "z", "q", "0", "_", "~", "#"];
/** Nicer representatives tried first for each class (checked, never assumed). */
const PREFERRED = ["s3vg-other", "other"];

/**
 * One representative per class of strings that the patterns cannot tell apart, within
 * `budget` automaton states (results are cached, bounded: the webhook asks the same questions).
 */
export function stringPartition(patterns: readonly StringPattern[], budget = 4096): Partition {
  const cacheKey = `${budget}\u0000${JSON.stringify(patterns)}`;
  const cached = partitionCache.get(cacheKey);
  if (cached) return cached;
  const partition = computeStringPartition(patterns, budget);
  remember(partitionCache, cacheKey, partition);
  return partition;
}

const partitionCache = new Map<string, Partition>();

function computeStringPartition(patterns: readonly StringPattern[], budget: number): Partition {
  return prefixPartition(patterns) ?? walkPartition(patterns, budget);
}

/**
 * The common shape, exactly and without a walk: literals and prefix patterns (`P*`), case
 * kept. A value either equals a literal, or starts with a chain of prefixes whose longest is
 * P — then P followed by a character no pattern names is in its class — or starts with none.
 */
function prefixPartition(patterns: readonly StringPattern[]): Partition | undefined {
  const literals: string[] = [];
  const prefixes: string[] = [];
  for (const { pattern, wildcards, caseInsensitive } of patterns) {
    if (caseInsensitive || pattern.includes("${")) return undefined;
    if (!wildcards || !/[*?]/.test(pattern)) literals.push(pattern);
    else if (pattern.indexOf("*") === pattern.length - 1 && !pattern.includes("?")) prefixes.push(pattern.slice(0, -1));
    else return undefined;
  }
  const used = new Set([...literals, ...prefixes].join(""));
  const fresh = FRESH_CHARACTERS.find((char) => !used.has(char));
  if (fresh === undefined) return undefined;
  const values = [...new Set([...literals, ...prefixes.map((prefix) => prefix + fresh), fresh])];
  const preferred = PREFERRED.find(
    (candidate) => !literals.includes(candidate) && !prefixes.some((prefix) => candidate.startsWith(prefix)),
  );
  return { values: preferred ? values.map((value) => (value === fresh ? preferred : value)) : values, complete: true };
}

function walkPartition(patterns: readonly StringPattern[], budget: number): Partition {
  const automata = patterns.map(tokenize);
  // Every character the patterns name (both cases where they fold), to find a fresh one.
  const alphabet = new Set<string>();
  for (const tokens of automata) {
    for (const token of tokens) {
      if (token.kind !== "char") continue;
      alphabet.add(token.char);
      if (token.fold) alphabet.add(token.char.toUpperCase());
    }
  }
  const fresh = FRESH_CHARACTERS.find((char) => !alphabet.has(char) && !alphabet.has(char.toLowerCase()));
  // Only the characters some automaton can read next make a difference in a state: every
  // other character leads where the fresh one does. Reading just those keeps the walk small.
  const lettersOf = (states: number[][]): string[] => {
    const out = new Set<string>();
    states.forEach((positions, index) => {
      const tokens = automata[index]!;
      for (const position of positions) {
        const token = tokens[position];
        if (token?.kind !== "char") continue;
        out.add(token.char);
        if (token.fold) out.add(token.char.toUpperCase());
      }
    });
    if (fresh !== undefined) out.add(fresh);
    return [...out].sort();
  };
  const accepts = (states: number[][]) => states.map((positions, index) => positions.includes(automata[index]!.length));
  const signature = (states: number[][]) => states.map((positions) => positions.join(",")).join("|");

  const start = automata.map((tokens) => closure(tokens, [0]));
  const seen = new Set([signature(start)]);
  const byClass = new Map<string, string>();
  const queue: { states: number[][]; text: string }[] = [{ states: start, text: "" }];
  let complete = true;
  for (let head = 0; head < queue.length; head += 1) {
    const { states, text } = queue[head]!;
    const cls = accepts(states).map(Number).join("");
    if (!byClass.has(cls)) byClass.set(cls, text);
    for (const letter of lettersOf(states)) {
      const next = states.map((positions, index) => step(automata[index]!, positions, letter));
      // A dead product state (every automaton stuck and none accepting) still has a class:
      // "matches none"; its successors add nothing new.
      const key = signature(next);
      if (seen.has(key)) continue;
      if (seen.size >= budget) {
        complete = false;
        break;
      }
      seen.add(key);
      queue.push({ states: next, text: text + letter });
    }
    if (!complete) break;
  }
  const classOf = (value: string) =>
    accepts(automata.map((tokens) => runAll(tokens, value)))
      .map(Number)
      .join("");
  const values = [...byClass.entries()].map(([cls, text]) => PREFERRED.find((candidate) => classOf(candidate) === cls) ?? text);
  return { values, complete };
}

function runAll(tokens: Token[], value: string): number[] {
  let positions = closure(tokens, [0]);
  for (const char of value) positions = step(tokens, positions, char);
  return positions;
}

/** Numbers: every threshold, a value between each neighbouring pair, and one beyond each end. */
export function numberPartition(thresholds: readonly number[]): number[] {
  const sorted = [...new Set(thresholds.filter(Number.isFinite))].sort((a, b) => a - b);
  if (sorted.length === 0) return [0];
  const out = [sorted[0]! - 1];
  sorted.forEach((value, index) => {
    out.push(value);
    const next = sorted[index + 1];
    out.push(next === undefined ? value + 1 : (value + next) / 2);
  });
  return out;
}

export function numericValues(values: readonly string[]): string[] {
  return numberPartition(values.map(parseNumber).filter((n): n is number => n !== undefined)).map(String);
}

export function dateValues(values: readonly string[]): string[] {
  return numberPartition(values.map(parseDate).filter((n): n is number => n !== undefined)).map((ms) =>
    new Date(Math.round(ms)).toISOString(),
  );
}

function formatAddress(version: 4 | 6, value: bigint): string {
  if (version === 4) return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 255n)).join(".");
  const groups: string[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(((value >> shift) & 0xffffn).toString(16));
  return groups.join(":");
}

function range(block: Cidr): [bigint, bigint] {
  const bits = BigInt(block.version === 4 ? 32 : 128);
  const size = 1n << (bits - BigInt(block.prefix));
  return [block.network, block.network + size - 1n];
}

/**
 * Addresses: within the domain blocks (all of IPv4 and IPv6 when none), every class of
 * "inside which of these blocks". Blocks are nested or disjoint, so the ends of each block
 * and the addresses just outside them reach every class.
 */
export function addressValues(cidrs: readonly string[], domain: readonly string[] | undefined): string[] {
  const key = `${cidrs.join(",")}|${domain?.join(",") ?? "*"}`;
  const cached = addressCache.get(key);
  if (cached) return cached;
  const values = computeAddressValues(cidrs, domain);
  remember(addressCache, key, values);
  return values;
}

const addressCache = new Map<string, string[]>();

function computeAddressValues(cidrs: readonly string[], domain: readonly string[] | undefined): string[] {
  const blocks = cidrs.map(parseCidr).filter((block): block is Cidr => block !== undefined);
  const domainBlocks = (domain ?? ["0.0.0.0/0", "::/0"]).map(parseCidr).filter((block): block is Cidr => block !== undefined);
  const candidates = new Map<string, { version: 4 | 6; value: bigint }>();
  const max = (version: 4 | 6) => (1n << BigInt(version === 4 ? 32 : 128)) - 1n;
  for (const block of [...blocks, ...domainBlocks]) {
    const [low, high] = range(block);
    for (const value of [low, high, low - 1n, high + 1n, low + 1n]) {
      if (value < 0n || value > max(block.version)) continue;
      candidates.set(`${block.version}:${value}`, { version: block.version, value });
    }
  }
  const inDomain = (candidate: { version: 4 | 6; value: bigint }) =>
    domainBlocks.some((block) => {
      const [low, high] = range(block);
      return block.version === candidate.version && candidate.value >= low && candidate.value <= high;
    });
  // Conditions only ask "inside which of the policy's blocks": one address per answer is enough.
  const bySignature = new Map<string, string>();
  for (const candidate of [...candidates.values()].filter(inDomain)) {
    const signature = blocks
      .map((block) =>
        candidate.version === block.version && candidate.value >= range(block)[0] && candidate.value <= range(block)[1] ? 1 : 0,
      )
      .join("");
    const text = formatAddress(candidate.version, candidate.value);
    if (!bySignature.has(signature) && parseIp(text) !== undefined) bySignature.set(signature, text);
  }
  return [...bySignature.values()];
}
