import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sha256Base64, sha256Hex } from "../../src/core/util/sha256.js";

const nodeSha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("sha256Hex", () => {
  it("matches the FIPS 180-4 test vectors", () => {
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
  });

  it("agrees with node:crypto at every padding boundary (55, 56, 63, 64, 119, 120 bytes)", () => {
    for (const length of [1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000])
      expect(sha256Hex("x".repeat(length))).toBe(nodeSha256("x".repeat(length)));
  });

  it("agrees with node:crypto on random Unicode text (UTF-8 encoded), in hex and base64", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme", maxLength: 300 }),
        (text) => sha256Hex(text) === nodeSha256(text) && sha256Base64(text) === createHash("sha256").update(text).digest("base64"),
      ),
      { seed: 14, numRuns: 300 },
    );
  });
});
