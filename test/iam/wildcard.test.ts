import { describe, expect, it } from "vitest";
import { hasPolicyVariable, hasWildcard, matchesWildcard } from "../../src/core/iam/wildcard.js";
import { exactValuesOnKey } from "../../src/core/iam/policy-query.js";
import { parsePolicy } from "../../src/core/iam/parse.js";

describe("hasWildcard (one predicate for matching and for exact names)", () => {
  it.each([
    ["vpce-1a2b3c4d", false],
    ["price$5", false], // a `$` without `{` is a dollar sign
    ["vpce-*", true],
    ["vpce-1a2b3c4?", true],
    ["${aws:username}", true], // a policy variable: replaced by a request value
    ["a${*}b", true], // an escape: equality with the text as written is wrong
  ])("%s → %s", (text, expected) => {
    expect(hasWildcard(text)).toBe(expected);
  });

  it("agrees with the matcher: where it says false, equality is the answer", () => {
    expect(matchesWildcard("price$5", "price$5")).toBe(true);
    expect(matchesWildcard("price$5", "price5")).toBe(false);
    expect(matchesWildcard("a${*}b", "a*b")).toBe(true);
    expect(matchesWildcard("a${*}b", "axb")).toBe(false);
    expect(matchesWildcard("a${$}b", "a$b")).toBe(true);
  });

  it("rules take only exact values: no wildcard, no policy variable", () => {
    const doc = parsePolicy(
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: "*",
            Condition: { StringNotEquals: { "aws:SourceVpce": ["vpce-1a2b3c4d", "vpce-*", "${aws:SourceVpce}", "vpce-$5"] } },
          },
        ],
      }),
      "bucket",
    );
    expect(doc.document).toBeDefined();
    expect([...exactValuesOnKey(doc.document, "aws:SourceVpce")]).toEqual(["vpce-1a2b3c4d", "vpce-$5"]);
  });
});

describe("hasPolicyVariable", () => {
  it("finds ${…} variables, not the three escapes", () => {
    expect(hasPolicyVariable("${aws:username}")).toBe(true);
    expect(hasPolicyVariable("home/${aws:userid}/*")).toBe(true);
    expect(hasPolicyVariable("a${*}b${?}c${$}d")).toBe(false);
    expect(hasPolicyVariable("price$5")).toBe(false);
  });
});
