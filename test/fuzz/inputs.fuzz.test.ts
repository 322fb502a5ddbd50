// Fuzzing the other inputs users hand us: config documents and CLI manifests (fixed seeds).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadInputs } from "../../src/cli/input-files.js";
import { parseConfig, parseConfigText } from "../../src/cli/config/config-file.js";
import { parsePolicy, serializePolicy } from "../../src/core/iam/index.js";
import { fuzzSettings } from "../helpers/fuzz.js";

describe("input fuzzing (fixed seed)", () => {
  it("config: any document gives a config or errors that name a field, never a throw", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (doc) => {
        const result = parseConfig(doc);
        if (!result.ok) for (const e of result.errors) expect(e).toMatch(/^config: /);
      }),
      fuzzSettings(1, 300),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => void parseConfigText(text, "c.yaml")),
      fuzzSettings(2, 300),
    );
  });

  it("CLI loader: arbitrary text from stdin never throws, and errors carry a line", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.jsonValue().map((v) => stringify(v)),
        ),
        async (text) => {
          const { errors } = await loadInputs(["-"], { stdin: text });
          for (const e of errors) expect(e.file).toBe("-");
        },
      ),
      fuzzSettings(3, 300),
    );
  });

  it("policies: parse → serialise → parse is stable for whatever parses", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const first = parsePolicy(value, "bucket");
        if (!first.document) return;
        const again = parsePolicy(serializePolicy(first.document), "bucket");
        expect(again.document).toEqual(first.document);
      }),
      fuzzSettings(4, 300),
    );
  });
});
