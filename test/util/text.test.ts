import { describe, expect, it } from "vitest";
import { equalsLowerCase } from "../../src/core/util/text.js";

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
