import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { equalsLowerCase, startsWithText } from "../../src/core/util/text.js";

describe("equalsLowerCase", () => {
  it("answers as text.toLowerCase() === lower does", () => {
    const cases: [string, string][] = [
      ["aws:SourceVpce", "aws:sourcevpce"],
      ["AWS:SOURCEIP", "aws:sourceip"],
      ["aws:sourceip", "aws:sourceip"],
      ["aws:SourceVpc", "aws:sourcevpce"],
      ["aws:SourceVpcX", "aws:sourcevpce"],
      ["", ""],
      ["@[`{", "@[`{"],
      // Non-ASCII: the Kelvin sign lower-cases to "k"; İ lower-cases to two characters.
      ["\u212Aey", "key"],
      ["\u0130d", "i\u0307d"],
      ["Ünicode", "ünicode"],
    ];
    for (const [text, lower] of cases) expect(equalsLowerCase(text, lower), `${text} vs ${lower}`).toBe(text.toLowerCase() === lower);
  });
});

describe("startsWithText", () => {
  it("answers as text.startsWith(prefix, at) does", () => {
    const path = "spec.forProvider.policy → Statement[1]";
    const cases: [string, string, number][] = [
      [`BucketPolicy p: ${path} uses 10.0.0.0/8`, "BucketPolicy p: ", 0],
      [`BucketPolicy p: ${path} uses 10.0.0.0/8`, path, 16],
      [`BucketPolicy p: ${path} uses 10.0.0.0/8`, path, 15],
      [path, `${path}!`, 0],
      ["", "", 0],
      ["abc", "", 3],
      ["abc", "c", 2],
      ["abc", "c", 3],
    ];
    for (const [text, prefix, at] of cases)
      expect(startsWithText(text, prefix, at), `${text} / ${prefix} / ${at}`).toBe(text.startsWith(prefix, at));
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary", maxLength: 4 }), fc.nat(8), (text, prefix, at) => {
        const clamped = Math.min(at, text.length);
        expect(startsWithText(text, prefix, clamped)).toBe(text.startsWith(prefix, clamped));
        expect(startsWithText(prefix + text, prefix)).toBe(true);
      }),
    );
  });
});
