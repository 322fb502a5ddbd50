import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LineCounter, parseAllDocuments, stringify, type ToStringOptions } from "yaml";
import { parseManifestYaml, resolvePlain } from "../../src/cli/manifest-yaml.js";
import { parseSource } from "../../src/cli/parse-source.js";
import { fuzzSettings } from "../helpers/fuzz.js";

/** What the `yaml` package reads (the reference): each document's value and first content line. */
function reference(text: string): { value: unknown; line: number }[] | "error" {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, merge: true, uniqueKeys: true });
  if (!Array.isArray(documents)) return [];
  if (documents.some((d) => d.errors.length > 0)) return "error";
  try {
    return documents.map((d) => ({
      value: d.toJS({ maxAliasCount: 100 }),
      line: lineCounter.linePos(d.contents?.range[0] ?? d.range[0]).line,
    }));
  } catch {
    return "error"; // merge keys on scalars and the like
  }
}

function fast(text: string): { value: unknown; line: number }[] | undefined {
  return parseManifestYaml(text)?.map(({ value, line }) => ({ value, line }));
}

const trickyStrings = [
  "",
  " ",
  " a",
  "a ",
  "null",
  "Null",
  "~",
  "true",
  "False",
  "yes",
  "1",
  "-1",
  "+1",
  "007",
  "0o17",
  "0x1F",
  "0b1",
  "1.5",
  ".5",
  "1e3",
  "1E-3",
  ".inf",
  "-.Inf",
  ".nan",
  "NaN",
  "- a",
  "-a",
  "a: b",
  "a:b",
  "a #b",
  "a#b",
  "#a",
  "'",
  '"',
  "''",
  "a'b",
  'a"b',
  "\\",
  "\\n",
  "\n",
  "a\nb",
  "a\n",
  "a\n\n",
  "\na",
  " a\n b",
  "\t",
  "a\tb",
  "\u0085",
  "\u2028",
  "{",
  "[]",
  "{}",
  "[a]",
  "@a",
  "`a",
  "%a",
  "!a",
  "&a",
  "*a",
  "|",
  ">",
  "?",
  "? a",
  ":",
  ": a",
  "a:",
  "---",
  "...",
  "--- a",
  "é",
  "日本",
  "😀",
  "a  b",
  "a,b",
  "[a, b]",
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*"}]}',
  '{\n  "Version": "2012-10-17"\n}\n',
];
const trickyKeys = [
  "a",
  "name",
  "kind",
  "apiVersion",
  "items",
  "x.y/z",
  "a-b",
  "a_b",
  "1",
  "true",
  "null",
  "a b",
  "a:b",
  "-a",
  "<<",
  "__proto__",
  "é",
  "",
  "'q'",
  "k8s.io/name",
  "a#b",
];

const key = fc.oneof(
  { weight: 8, arbitrary: fc.stringMatching(/^[a-z][a-zA-Z0-9./-]{0,10}$/) },
  { weight: 1, arbitrary: fc.constantFrom(...trickyKeys) },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
);
const scalar = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9 .:/*_-]{0,20}$/) },
  { weight: 1, arbitrary: fc.constantFrom(...trickyStrings) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: false }) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
);
const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, scalar, tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 4 }),
  object: fc.dictionary(key, tie("value"), { maxKeys: 5 }),
}));
const documentValue = fc.dictionary(key, value, { minKeys: 1, maxKeys: 6 });

/** Ways people and tools write the same manifest. */
const writeOptions = fc.record({
  indent: fc.constantFrom(2, 4),
  indentSeq: fc.boolean(),
  lineWidth: fc.constantFrom(0, 20, 80),
  singleQuote: fc.constantFrom(true, false, null),
  blockQuote: fc.constantFrom<ToStringOptions["blockQuote"]>(true, false, "literal", "folded"),
  defaultStringType: fc.constantFrom<NonNullable<ToStringOptions["defaultStringType"]>>(
    "PLAIN",
    "PLAIN",
    "QUOTE_DOUBLE",
    "QUOTE_SINGLE",
    "BLOCK_LITERAL",
  ),
  comment: fc.boolean(),
  separator: fc.constantFrom("---\n", "---\n\n", "\n---\n", "--- \n"),
});

describe("the fast manifest reader", () => {
  it("reads every document the way the yaml package does, or leaves it to the yaml package", () => {
    let read = 0;
    const settings = fuzzSettings(1818, 1000);
    fc.assert(
      fc.property(fc.array(documentValue, { minLength: 1, maxLength: 3 }), writeOptions, (values, options) => {
        const { comment, separator, ...toString } = options;
        const text = values.map((v) => `${comment ? "# a comment\n" : ""}${stringify(v, toString)}`).join(separator);
        const expected = reference(text);
        const actual = fast(text);
        if (actual === undefined) return;
        read++;
        expect(expected).not.toBe("error");
        expect(actual).toStrictEqual(expected);
      }),
      settings,
    );
    // The property says little unless the fast reader takes a fair share of the inputs.
    expect(read).toBeGreaterThan(settings.numRuns * 0.1);
  });

  it("reads text that is cut or altered the way the yaml package does, or declines", () => {
    const base = `apiVersion: v1
kind: List
items:
- apiVersion: s3.aws.upbound.io/v1beta1
  kind: Bucket   # a comment
  metadata:
    name: 'b-1'
    labels: {}
    annotations:
      crossplane.io/external-name: "b-1\\u00e9"
  spec:
    forProvider:
      region: us-east-1
      tags: []
      policy: |
        {"Version": "2012-10-17",
          "Statement": []}
      count: 3
-
  kind: Bucket
  metadata:
    name: b-2
---
kind: ConfigMap
data:
  key: |-
    line 1

    line 3
  other: x
`;
    const settings = fuzzSettings(1819, 3000);
    let read = 0;
    fc.assert(
      fc.property(
        fc.nat(base.length),
        fc.nat(base.length),
        fc.constantFrom("", " ", "  ", "\n", "-", "- ", ":", ": ", "#", "'", '"', "|", "|-", "---\n", "a", "1", "  x: y\n", "\n  "),
        (from, to, insert) => {
          const text = base.slice(0, Math.min(from, to)) + insert + base.slice(Math.max(from, to));
          const actual = fast(text);
          if (actual === undefined) return;
          read++;
          expect(actual).toStrictEqual(reference(text));
        },
      ),
      settings,
    );
    expect(read).toBeGreaterThan(settings.numRuns * 0.1);
  });

  it("gives each top-level List item the line it starts on", () => {
    const text = "kind: List\napiVersion: v1\nitems:\n- kind: A\n  apiVersion: v1\n-\n  # c\n  kind: B\n  apiVersion: v1\n";
    expect(parseManifestYaml(text)?.[0]?.itemLines).toEqual([4, 8]);
    expect(parseSource({ file: "f", text, syntax: "yaml" })).toStrictEqual(
      parseSource({ file: "f", text, syntax: "yaml" }, { fastPaths: false }),
    );
  });

  it.each([
    ["anchors and aliases", "a: &x 1\nb: *x\n"],
    ["tags", "a: !!str 1\n"],
    ["flow collections", "a: [1, 2]\n"],
    ["folded block scalars", "a: >\n  b\n"],
    ["multi-line plain scalars", "a: b\n  c\n"],
    ["multi-line quoted scalars", "a: 'b\n  c'\n"],
    ["duplicate keys", "a: 1\na: 2\n"],
    ["merge keys", "a: 1\n<<: {}\n"],
    ["keys that are not plain strings", "1: a\n"],
    ["tabs", "a:\tb\n"],
    ["CR line ends", "a: b\r\n"],
    ["directives", "%YAML 1.2\n---\na: b\n"],
    ["YAML escapes beyond JSON's", 'a: "\\x41"\n'],
    ["a top-level sequence", "- a\n"],
    ["a block scalar ending the text without a line break", "a: |\n  b"],
  ])("leaves %s to the yaml package", (_, text) => {
    expect(parseManifestYaml(text)).toBeUndefined();
  });

  it("resolves plain scalars as the YAML 1.2 core schema does", () => {
    const cases = [
      "",
      "~",
      "null",
      "NULL",
      "true",
      "False",
      "0o17",
      "0x1F",
      "-12",
      "+3",
      "1.5",
      "-.5",
      "1e3",
      ".inf",
      "-.INF",
      ".NaN",
      "0b1",
      "yes",
      "1_000",
      "1.2.3",
    ];
    for (const text of cases) {
      const expected = reference(`a: ${text}\n`);
      expect(expected).not.toBe("error");
      expect({ text, value: resolvePlain(text) }).toStrictEqual({ text, value: (expected as { value: { a: unknown } }[])[0]!.value.a });
    }
  });

  it("gives the same objects, lines and errors as the yaml package for whole files", () => {
    const settings = fuzzSettings(1820, 300);
    fc.assert(
      fc.property(fc.array(documentValue, { minLength: 1, maxLength: 4 }), writeOptions, fc.boolean(), (values, options, json) => {
        const { comment, separator, ...toString } = options;
        const withKinds = values.map((v, i) => ({
          apiVersion: "v1",
          kind: i % 2 === 0 ? "Bucket" : "BucketList",
          items: [{ metadata: { name: "x" } }],
          ...v,
        }));
        const text = json
          ? JSON.stringify(withKinds[0], null, 2)
          : withKinds.map((v) => `${comment ? "# c\n" : ""}${stringify(v, toString)}`).join(separator);
        const source = { file: "f", text, syntax: json ? ("json" as const) : ("yaml" as const) };
        expect(parseSource(source)).toStrictEqual(parseSource(source, { fastPaths: false }));
      }),
      settings,
    );
  });
});
