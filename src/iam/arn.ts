/**
 * ARN parsing and matching. IAM compares ARNs segment by segment (partition, service,
 * region, account, resource); a wildcard stays inside its segment, except a `*` that ends a
 * segment, which may run on across colons (AWS documents this for the Resource element).
 * The resource segment is everything after the fifth colon, colons included.
 * Matching is case-sensitive (S3 keys are).
 */

import { escapeRegExp, remember, wildcardToRegexSource } from "./wildcard.js";

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
  const segments = splitSegments(pattern);
  const source = segments
    .map((segment, index) => (index < 5 && segments.length > index + 1 ? headSegmentSource(segment) : wildcardToRegexSource(segment)))
    .join(escapeRegExp(":"));
  const compiled = new RegExp(`^${source}$`, "su");
  remember(arnPatternCache, pattern, compiled);
  return compiled;
}

/** A segment before the resource: wildcards stay inside it unless a `*` ends it. */
function headSegmentSource(segment: string): string {
  if (segment.endsWith("*") && !segment.endsWith("${*}")) {
    return wildcardToRegexSource(segment.slice(0, -1), "[^:]*", "[^:]") + ".*";
  }
  return wildcardToRegexSource(segment, "[^:]*", "[^:]");
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
