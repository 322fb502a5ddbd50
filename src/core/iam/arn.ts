/**
 * ARN parsing and matching. IAM compares ARNs segment by segment (partition, service,
 * region, account, resource); a wildcard stays inside its segment, except a `*` that ends a
 * segment, which may run on across colons (AWS documents this for the Resource element).
 * The resource segment is everything after the fifth colon, colons included.
 * Matching is case-sensitive (S3 keys are) and linear-time (glob.ts): patterns come from input.
 */

import { ONE, ONE_IN_SEGMENT, STAR, STAR_IN_SEGMENT, tokenize, type Glob } from "./glob.js";
import { escapeRegExp, GlobRegExp, MAX_CACHED_PATTERN_CHARS, remember } from "./wildcard.js";

export interface Arn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

export interface S3Arn {
  partition: string;
  bucket: string;
  /** Undefined for a bucket ARN; the part after the first `/` for an object ARN. */
  key?: string;
}

export const KNOWN_PARTITIONS: readonly string[] = [
  "aws",
  "aws-cn",
  "aws-us-gov",
  "aws-iso",
  "aws-iso-b",
  "aws-iso-e",
  "aws-iso-f",
  "aws-eusc",
];

/** Splits an ARN into its six segments; undefined when it is not `arn:` plus five colons. */
export function parseArn(text: string): Arn | undefined {
  if (!text.startsWith("arn:")) return undefined;
  const parts = splitSegments(text);
  if (parts.length < 6) return undefined;
  const [, partition, service, region, account, resource] = parts as [string, string, string, string, string, string];
  return { partition, service, region, account, resource };
}

/** A classic S3 bucket or object ARN (`arn:<partition>:s3:::bucket[/key]`), else undefined. */
export function parseS3Arn(text: string): S3Arn | undefined {
  const arn = parseArn(text);
  if (!arn || arn.service !== "s3" || arn.region !== "" || arn.account !== "") return undefined;
  if (arn.partition === "" || arn.resource === "") return undefined;
  const slash = arn.resource.indexOf("/");
  if (slash === 0) return undefined;
  if (slash < 0) return { partition: arn.partition, bucket: arn.resource };
  return { partition: arn.partition, bucket: arn.resource.slice(0, slash), key: arn.resource.slice(slash + 1) };
}

/** Splits on the first five colons only: the resource segment keeps its own colons. */
function splitSegments(text: string): string[] {
  const parts: string[] = [];
  let start = 0;
  while (parts.length < 5) {
    const colon = text.indexOf(":", start);
    if (colon < 0) break;
    parts.push(text.slice(start, colon));
    start = colon + 1;
  }
  parts.push(text.slice(start));
  return parts;
}

const arnPatternCache = new Map<string, RegExp>();

export function compileArnPattern(pattern: string): RegExp {
  const cached = arnPatternCache.get(pattern);
  if (cached) return cached;
  const display = pattern.length > MAX_CACHED_PATTERN_CHARS ? pattern.slice(0, MAX_CACHED_PATTERN_CHARS) : pattern;
  const compiled = new GlobRegExp(`^${escapeRegExp(display)}`, "su", compileArnGlob(pattern));
  remember(arnPatternCache, pattern, compiled);
  return compiled;
}

/**
 * The ARN pattern as glob tokens, joined by literal colons. In a segment before the
 * resource, wildcards stay inside it unless a `*` ends it (that one may cross colons).
 */
export function compileArnGlob(pattern: string): Glob {
  const segments = splitSegments(pattern);
  const tokens: number[] = [];
  let segmented = false;
  segments.forEach((segment, index) => {
    if (index > 0) tokens.push(0x3a);
    if (index < 5 && segments.length > index + 1) {
      const start = tokens.length;
      const openEnded = segment.endsWith("*") && !segment.endsWith("${*}");
      tokenize(openEnded ? segment.slice(0, -1) : segment, tokens, STAR_IN_SEGMENT, ONE_IN_SEGMENT);
      if (openEnded) tokens.push(STAR);
      for (let at = start; at < tokens.length; at += 1) {
        if (tokens[at] === STAR_IN_SEGMENT || tokens[at] === ONE_IN_SEGMENT) segmented = true;
      }
    } else {
      tokenize(segment, tokens, STAR, ONE);
    }
  });
  return { tokens: Int32Array.from(tokens), segmented, caseInsensitive: false };
}

/**
 * Does the policy ARN pattern match the ARN? `*` alone matches everything (also non-ARNs).
 * A pattern shorter than six segments only matches through a trailing `*` (as IAM expands
 * short ARNs with wildcards in resource policies and never matches them otherwise).
 */
export function arnMatches(pattern: string, arn: string): boolean {
  return arnMatcher(pattern)(arn);
}

/**
 * Most policy resources are literal ARNs or end in a single `*` (`arn:aws:s3:::bucket/*`):
 * those match by equality or prefix, with no RegExp to compile. Every bucket has its own
 * ARNs, so compiling each one would dominate a large audit.
 */
function literalOrPrefix(pattern: string): ((arn: string) => boolean) | undefined {
  if (pattern.includes("?") || pattern.includes("${")) return undefined;
  const star = pattern.indexOf("*");
  if (star < 0) return (arn) => arn === pattern;
  if (star !== pattern.length - 1) return undefined;
  const prefix = pattern.slice(0, -1);
  return (arn) => arn.startsWith(prefix);
}

/** arnMatches with the pattern fixed, compiled once (for the evaluator's hot path). */
export function arnMatcher(pattern: string): (arn: string) => boolean {
  if (pattern === "*") return () => true;
  const fast = literalOrPrefix(pattern);
  if (fast) return fast;
  const regex = compileArnPattern(pattern);
  return (arn) => arn === pattern || regex.test(arn);
}
