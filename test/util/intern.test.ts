import { describe, expect, it } from "vitest";
import { intern } from "../../src/core/util/intern.js";

describe("intern", () => {
  it("gives back the same text for any string, property names of Object.prototype and numbers included", () => {
    const file = `${"x".repeat(1000)}\nname: a-rather-long-name-cut-from-a-file\n`;
    const cut = file.slice(1007, file.length - 1);
    for (const text of [
      cut,
      "",
      "__proto__",
      "constructor",
      "toString",
      "0",
      "4294967295",
      "-1",
      "1e3",
      "é→\u{1f600}",
      `a${"b".repeat(100)}`,
    ]) {
      expect(intern(text)).toBe(text);
    }
    expect(intern(cut)).toBe("a-rather-long-name-cut-from-a-file");
  });
});
