import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileArnGlob } from "../../src/core/iam/arn.js";
import { compileGlob, matchGlobCounted } from "../../src/core/iam/glob.js";
import { actionMatches, arnMatches, isS3Action, matchesWildcard } from "../../src/core/iam/index.js";
import { withWorkBudget } from "../../src/core/iam/work-budget.js";
import { escapeRegExp, wildcardToRegexSource } from "../../src/core/iam/wildcard.js";
import { fuzzSettings } from "../helpers/fuzz.js";

// The RegExps the matcher replaced, kept here as the reference on inputs small enough for them.
function referenceWildcard(pattern: string, caseInsensitive: boolean): RegExp {
  return new RegExp(`^${wildcardToRegexSource(pattern)}$`, caseInsensitive ? "isu" : "su");
}

function referenceArn(pattern: string): RegExp {
  const segments: string[] = [];
  let start = 0;
  while (segments.length < 5) {
    const colon = pattern.indexOf(":", start);
    if (colon < 0) break;
    segments.push(pattern.slice(start, colon));
    start = colon + 1;
  }
  segments.push(pattern.slice(start));
  const head = (segment: string) =>
    segment.endsWith("*") && !segment.endsWith("${*}")
      ? wildcardToRegexSource(segment.slice(0, -1), "[^:]*", "[^:]") + ".*"
      : wildcardToRegexSource(segment, "[^:]*", "[^:]");
  const source = segments
    .map((segment, index) => (index < 5 && segments.length > index + 1 ? head(segment) : wildcardToRegexSource(segment)))
    .join(escapeRegExp(":"));
  return new RegExp(`^${source}$`, "su");
}

const patternUnit = fc.constantFrom("a", "b", "A", "*", "*", "?", ":", "$", "{", "}", "${*}", "${?}", "${$}", ".", "é", "É", "😀");
const valueUnit = fc.constantFrom("a", "b", "A", "B", "*", "?", ":", "$", "{", "}", ".", "é", "É", "😀");
const smallPattern = fc.array(patternUnit, { maxLength: 10 }).map((units) => units.join(""));
const smallValue = fc.array(valueUnit, { maxLength: 12 }).map((units) => units.join(""));
const arnPattern = fc.array(fc.oneof(patternUnit, fc.constant(":")), { maxLength: 14 }).map((units) => `arn:${units.join("")}`);
const arnValue = fc.array(valueUnit, { maxLength: 14 }).map((units) => `arn:${units.join("")}`);

/** Step bound of the matcher: len(pattern) × len(value) plus a constant. */
const bound = (pattern: string, value: string) => pattern.length * value.length + 1;

describe("linear-time glob matching", () => {
  it("agrees with the old RegExp on small patterns (case-sensitive and not)", () => {
    fc.assert(
      fc.property(smallPattern, smallValue, fc.boolean(), (pattern, value, caseInsensitive) => {
        const { matched } = matchGlobCounted(compileGlob(pattern, caseInsensitive), value);
        expect(matched).toBe(referenceWildcard(pattern, caseInsensitive).test(value));
        expect(matchesWildcard(pattern, value, { caseInsensitive })).toBe(matched);
      }),
      fuzzSettings(20_261_201, 3000),
    );
  });

  it("agrees with the old RegExp when the value is built from the pattern (mostly matches)", () => {
    const fill = fc.constantFrom("", "a", "b:", "😀", "ab");
    fc.assert(
      fc.property(smallPattern, fc.array(fill, { minLength: 10, maxLength: 10 }), (pattern, fills) => {
        let index = 0;
        const value = pattern.replace(/\$\{[*?$]\}|[*?]/g, (token) =>
          token.startsWith("$") ? token[2]! : token === "?" ? "x" : fills[index++ % fills.length]!,
        );
        expect(matchGlobCounted(compileGlob(pattern), value).matched).toBe(referenceWildcard(pattern, false).test(value));
      }),
      fuzzSettings(20_261_202, 2000),
    );
  });

  it("ARN patterns keep their segment semantics (wildcards stay inside a segment unless a * ends it)", () => {
    fc.assert(
      fc.property(arnPattern, fc.oneof(arnValue, arnPattern), (pattern, value) => {
        expect(arnMatches(pattern, value)).toBe(value === pattern || referenceArn(pattern).test(value));
      }),
      fuzzSettings(20_261_203, 3000),
    );
  });

  it("takes at most len(pattern) × len(value) + 1 steps", () => {
    fc.assert(
      fc.property(fc.oneof(smallPattern, arnPattern), fc.oneof(smallValue, arnValue), (pattern, value) => {
        expect(matchGlobCounted(compileGlob(pattern), value).steps).toBeLessThanOrEqual(bound(pattern, value));
        expect(matchGlobCounted(compileGlob(pattern, true), value).steps).toBeLessThanOrEqual(bound(pattern, value));
        expect(matchGlobCounted(compileArnGlob(pattern), value).steps).toBeLessThanOrEqual(bound(pattern, value));
      }),
      fuzzSettings(20_261_204, 3000),
    );
  });

  it.each([
    ["a Resource with 24 stars before a literal", `arn:${"*".repeat(24)}X:s3:::b`, `arn:${"a".repeat(40)}:s3:::b`],
    ["a bucket glob with many stars", "arn:aws:s3:::********X", `arn:aws:s3:::${"a".repeat(3000)}`],
    ["alternating stars (consumer region)", `prefix-${"a*".repeat(30)}b`, `prefix-${"a".repeat(300)}`],
    ["an action of stars and question marks", `s3:${"*?".repeat(10)}Z`, "s3:GetObjectVersionAnnotationForReplication"],
  ])("%s answers within the step bound", (_name, pattern, value) => {
    const glob = pattern.startsWith("arn:") ? compileArnGlob(pattern) : compileGlob(pattern, true);
    const { matched, steps } = matchGlobCounted(glob, value);
    expect(matched).toBe(false);
    expect(steps).toBeLessThanOrEqual(bound(pattern, value));
  });

  it("charges the open work budget and leaves none open behind it", () => {
    const { value, spent } = withWorkBudget(1_000_000, () =>
      actionMatches(`s3:${"*?".repeat(10)}Z`, "s3:GetObjectVersionAnnotationForReplication"),
    );
    expect(value).toBe(false);
    expect(spent).toBeGreaterThan(0);
    expect(isS3Action(`${"*".repeat(1000)}s3`)).toBe(true);
    expect(isS3Action(`${"*".repeat(1000)}x`)).toBe(false);
  });

  it("throws WorkBudgetExceeded once the budget is spent", () => {
    expect(() => withWorkBudget(100, () => arnMatches(`arn:${"*".repeat(24)}X:s3:::b`, `arn:${"a".repeat(400)}:s3:::b`))).toThrow(
      /work budget of 100 steps exceeded/,
    );
  });
});
