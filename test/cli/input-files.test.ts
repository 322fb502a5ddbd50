import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadInputs, type LoadResult } from "../../src/cli/input-files.js";
import { locateJsonError } from "../../src/core/iam/json-error.js";
import { fuzzSettings } from "../helpers/fuzz.js";

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "s3vg-load-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Writes files (path → content) under a fresh folder and returns that folder. */
async function tree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(root, "case-"));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(dir, name, ".."), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  return dir;
}

function summary(result: LoadResult): { documents: string[]; errors: string[] } {
  return {
    documents: result.documents.map((d) => `${d.file}:${d.line} ${d.object.kind}/${d.object.metadata.name ?? ""}`),
    errors: result.errors.map((e) => `${e.file}:${e.line ?? "-"} ${e.message}`),
  };
}

const endpoint = (name: string) => `apiVersion: ec2.aws.upbound.io/v1beta2
kind: VPCEndpoint
metadata:
  name: ${name}
spec:
  forProvider:
    serviceName: com.amazonaws.eu-west-1.s3
`;

describe("files", () => {
  it("reads one document with its file and 1-based line", async () => {
    const dir = await tree({ "ep.yaml": endpoint("a") });
    const file = join(dir, "ep.yaml");
    const result = await loadInputs([file], {});
    expect(result.errors).toEqual([]);
    expect(result.documents).toHaveLength(1);
    expect(result.documents[0]).toMatchObject({ file, line: 1 });
    expect(result.documents[0]?.object).toMatchObject({
      apiVersion: "ec2.aws.upbound.io/v1beta2",
      kind: "VPCEndpoint",
      metadata: { name: "a" },
      spec: { forProvider: { serviceName: "com.amazonaws.eu-west-1.s3" } },
    });
  });

  it("reads a file named explicitly whatever its extension", async () => {
    const dir = await tree({ "manifest.txt": endpoint("a") });
    const result = await loadInputs([join(dir, "manifest.txt")], {});
    expect(summary(result).documents).toEqual([`${join(dir, "manifest.txt")}:1 VPCEndpoint/a`]);
  });

  it("reads a named pipe given by name, as from `check <(kubectl get … -o yaml)`", async () => {
    const dir = await mkdtemp(join(root, "fifo-"));
    const fifo = join(dir, "pipe");
    execFileSync("mkfifo", [fifo]);
    const writer = writeFile(fifo, endpoint("piped"));
    const result = await loadInputs([fifo], {});
    await writer;
    expect(summary(result)).toEqual({ documents: [`${fifo}:1 VPCEndpoint/piped`], errors: [] });
  });

  it("reads a file given twice (or also through its folder) once", async () => {
    const dir = await tree({ "ep.yaml": endpoint("a") });
    const result = await loadInputs([join(dir, "ep.yaml"), dir, join(dir, "ep.yaml")], {});
    expect(result.documents).toHaveLength(1);
  });

  it("skips a byte-order mark", async () => {
    const dir = await tree({ "bom.yaml": `\ufeff${endpoint("a")}`, "bom.json": `\ufeff{"apiVersion":"v1","kind":"X"}` });
    const result = await loadInputs([dir], {});
    expect(summary(result)).toEqual({
      documents: [`${join(dir, "bom.json")}:1 X/`, `${join(dir, "bom.yaml")}:1 VPCEndpoint/a`],
      errors: [],
    });
  });

  it("gives objects without metadata an empty metadata", async () => {
    const dir = await tree({ "x.yaml": "apiVersion: v1\nkind: Thing\n" });
    const result = await loadInputs([dir], {});
    expect(result.documents[0]?.object).toEqual({ apiVersion: "v1", kind: "Thing", metadata: {} });
  });
});

describe("directories", () => {
  it("walks recursively, keeps only *.yaml, *.yml and *.json, sorted, without node_modules and dot folders", async () => {
    const dir = await tree({
      "b.yaml": endpoint("b"),
      "a.yml": endpoint("a"),
      "c.JSON": JSON.stringify({ apiVersion: "v1", kind: "Json", metadata: { name: "c" } }),
      "z/inner.yaml": endpoint("inner"),
      "m/deeper/x.yaml": endpoint("deep"),
      "README.md": "# not a manifest\nkind: Nope\n",
      "script.sh": "kind: Nope",
      "node_modules/pkg/x.yaml": endpoint("vendored"),
      ".git/config.yaml": endpoint("hidden-dir"),
      ".hidden.yaml": endpoint("hidden-file"),
    });
    const result = await loadInputs([dir], {});
    expect(summary(result)).toEqual({
      documents: [
        `${join(dir, "a.yml")}:1 VPCEndpoint/a`,
        `${join(dir, "b.yaml")}:1 VPCEndpoint/b`,
        `${join(dir, "c.JSON")}:1 Json/c`,
        `${join(dir, "m/deeper/x.yaml")}:1 VPCEndpoint/deep`,
        `${join(dir, "z/inner.yaml")}:1 VPCEndpoint/inner`,
      ],
      errors: [],
    });
  });

  it("keeps the order of the paths given", async () => {
    const dir = await tree({ "one/a.yaml": endpoint("one"), "two/a.yaml": endpoint("two") });
    const result = await loadInputs([join(dir, "two"), join(dir, "one")], {});
    expect(result.documents.map((d) => d.object.metadata.name)).toEqual(["two", "one"]);
  });

  it("hands each file's documents to onDocuments in input order, also after a file the fast reader leaves to the YAML parser", async () => {
    // b.yaml has an anchor: the general parser reads it, after a.yaml and before c.yaml.
    const anchored = `${endpoint("b1")}---\n${endpoint("b2").replace("serviceName:", "serviceName: &name").replace("s3\n", "s3\n")}`;
    const dir = await tree({ "a.yaml": endpoint("a"), "b.yaml": anchored, "c.yaml": `${endpoint("c1")}---\n${endpoint("c2")}` });
    const batches: string[][] = [];
    const result = await loadInputs([dir], {
      onDocuments: (documents) => batches.push(documents.map((d) => String(d.object.metadata.name))),
    });
    expect(batches).toEqual([["a"], ["b1", "b2"], ["c1", "c2"]]);
    expect(result.documents).toEqual([]);
    expect(result.errors).toEqual([]);
    const whole = await loadInputs([dir], {});
    expect(whole.documents.map((d) => d.object.metadata.name)).toEqual(batches.flat());
  });

  it("follows symlinked folders once and does not loop on a symlink cycle", async () => {
    const dir = await tree({ "real/ep.yaml": endpoint("a") });
    await symlink(join(dir, "real"), join(dir, "link"));
    await symlink(dir, join(dir, "real", "loop"));
    const result = await loadInputs([dir], {});
    expect(result.errors).toEqual([]);
    expect(result.documents.map((d) => d.object.metadata.name)).toEqual(["a"]);
  });

  it("ignores a dangling symlink inside a folder", async () => {
    const dir = await tree({ "ep.yaml": endpoint("a") });
    await symlink(join(dir, "missing.yaml"), join(dir, "dangling.yaml"));
    const result = await loadInputs([dir], {});
    expect(summary(result)).toEqual({ documents: [`${join(dir, "ep.yaml")}:1 VPCEndpoint/a`], errors: [] });
  });
});

describe("stdin", () => {
  it("reads `-` from a string, named `-`", async () => {
    const result = await loadInputs(["-"], { stdin: `# leading comment\n${endpoint("piped")}` });
    expect(summary(result)).toEqual({ documents: ["-:2 VPCEndpoint/piped"], errors: [] });
  });

  it("reads `-` from a stream in chunks", async () => {
    const text = `${endpoint("one")}---\n${endpoint("two")}`;
    const chunks = [text.slice(0, 10), Buffer.from(text.slice(10, 50)), text.slice(50)];
    const result = await loadInputs(["-"], { stdin: Readable.from(chunks) });
    expect(summary(result)).toEqual({ documents: ["-:1 VPCEndpoint/one", "-:9 VPCEndpoint/two"], errors: [] });
  });

  it("reads stdin once when `-` is given twice, alongside files", async () => {
    const dir = await tree({ "ep.yaml": endpoint("file") });
    const result = await loadInputs(["-", dir, "-"], { stdin: endpoint("piped") });
    expect(summary(result).documents).toEqual(["-:1 VPCEndpoint/piped", `${join(dir, "ep.yaml")}:1 VPCEndpoint/file`]);
  });

  it("reports `-` without a stdin instead of waiting", async () => {
    const result = await loadInputs(["-"], {});
    expect(summary(result).errors).toEqual(["-:- cannot read: no standard input was provided"]);
  });

  it("refuses stdin over the size limit without reading it all", async () => {
    let produced = 0;
    const endless = new Readable({
      read() {
        produced += 1024;
        this.push(Buffer.alloc(1024, 0x61));
      },
    });
    const result = await loadInputs(["-"], { stdin: endless, maxFileBytes: 4096 });
    expect(result.documents).toEqual([]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ file: "-", line: null });
    expect(result.errors[0]?.message).toMatch(/over the 4 KiB limit/);
    expect(produced).toBeLessThan(64 * 1024);
    endless.destroy();
  });

  it("reports a failing stream", async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error("stream broke"));
      },
    });
    const result = await loadInputs(["-"], { stdin: failing });
    expect(summary(result).errors).toEqual(["-:- cannot read: stream broke"]);
  });
});

describe("multi-document YAML", () => {
  it("returns every document with the line where it starts, skipping empty and null documents", async () => {
    const dir = await tree({
      "many.yaml": [
        "---",
        "# first",
        endpoint("one").trimEnd(),
        "---",
        "---",
        "# only a comment",
        "--- null",
        "---",
        endpoint("two").trimEnd(),
        "...",
        "",
      ].join("\n"),
    });
    const file = join(dir, "many.yaml");
    const result = await loadInputs([file], {});
    expect(summary(result)).toEqual({ documents: [`${file}:3 VPCEndpoint/one`, `${file}:15 VPCEndpoint/two`], errors: [] });
  });

  it("honours anchors, aliases and merge keys", async () => {
    const dir = await tree({
      "anchors.yaml": `apiVersion: v1
kind: Thing
metadata:
  name: t
  labels: &labels { team: a }
  annotations:
    <<: *labels
    extra: "yes"
spec:
  copy: *labels
`,
    });
    const result = await loadInputs([dir], {});
    expect(result.errors).toEqual([]);
    expect(result.documents[0]?.object).toMatchObject({
      metadata: { labels: { team: "a" }, annotations: { team: "a", extra: "yes" } },
      spec: { copy: { team: "a" } },
    });
  });
});

describe("List kinds", () => {
  it("flattens v1 List items with each item's own line", async () => {
    const dir = await tree({
      "list.yaml": `apiVersion: v1
kind: List
items:
  - ${endpoint("first").trimEnd().replaceAll("\n", "\n    ")}
  - apiVersion: s3.aws.upbound.io/v1beta2
    kind: Bucket
    metadata:
      name: second
`,
    });
    const file = join(dir, "list.yaml");
    const result = await loadInputs([file], {});
    expect(summary(result)).toEqual({ documents: [`${file}:4 VPCEndpoint/first`, `${file}:11 Bucket/second`], errors: [] });
  });

  it("gives items of a typed list (VPCEndpointList) the list's apiVersion and kind when they omit them", async () => {
    const dir = await tree({
      "typed.yaml": `apiVersion: ec2.services.k8s.aws/v1alpha1
kind: VPCEndpointList
items:
- metadata:
    name: omitted
- apiVersion: ec2.services.k8s.aws/v1alpha1
  kind: VPCEndpoint
  metadata:
    name: explicit
`,
    });
    const result = await loadInputs([dir], {});
    expect(result.errors).toEqual([]);
    expect(result.documents.map((d) => [d.line, d.object.apiVersion, d.object.kind, d.object.metadata.name])).toEqual([
      [4, "ec2.services.k8s.aws/v1alpha1", "VPCEndpoint", "omitted"],
      [6, "ec2.services.k8s.aws/v1alpha1", "VPCEndpoint", "explicit"],
    ]);
  });

  it("reports a v1 List item with kind but no apiVersion and keeps the others", async () => {
    const dir = await tree({
      "list.yaml": `apiVersion: v1
kind: List
items:
- kind: Bucket
  metadata: { name: broken }
- apiVersion: s3.aws.upbound.io/v1beta2
  kind: Bucket
  metadata: { name: fine }
`,
    });
    const file = join(dir, "list.yaml");
    const result = await loadInputs([file], {});
    expect(summary(result)).toEqual({
      documents: [`${file}:6 Bucket/fine`],
      errors: [`${file}:4 document has kind Bucket but no apiVersion; add apiVersion`],
    });
  });

  it("flattens a List nested in a List", async () => {
    const dir = await tree({
      "nested.json": JSON.stringify({
        apiVersion: "v1",
        kind: "List",
        items: [{ apiVersion: "v1", kind: "List", items: [{ apiVersion: "v1", kind: "Inner", metadata: { name: "i" } }] }],
      }),
    });
    const result = await loadInputs([dir], {});
    expect(result.documents.map((d) => d.object.kind)).toEqual(["Inner"]);
  });
});

describe("JSON files", () => {
  it("reads a JSON List with item lines", async () => {
    const list = {
      apiVersion: "v1",
      kind: "List",
      items: [
        { apiVersion: "v1", kind: "A", metadata: { name: "a" } },
        { apiVersion: "v1", kind: "B", metadata: { name: "b" } },
      ],
    };
    const dir = await tree({ "list.json": JSON.stringify(list, null, 2) });
    const file = join(dir, "list.json");
    const result = await loadInputs([file], {});
    expect(summary(result)).toEqual({ documents: [`${file}:5 A/a`, `${file}:12 B/b`], errors: [] });
  });

  it.each([
    ["missing comma", '{\n  "apiVersion": "v1",\n  "kind": "A"\n  "metadata": {}\n}\n', 4],
    ["trailing comma", '{\n  "apiVersion": "v1",\n  "kind": "A",\n}\n', 4],
    ["bad literal", '\n\n{\n  "apiVersion": tru\n}', 4],
    ["unterminated object", '{\n  "apiVersion": "v1",\n  "kind": "A"\n\n\n', 3],
    ["control character in a string", '{\n  "kind": "A\tB"\n}', 2],
    ["leading zero", '{\n  "n":\n  01\n}', 3],
    ["single quotes (valid YAML)", "{\n  'kind': 'A'\n}", 2],
    ["comment (valid YAML)", '{\n  "kind": "A" # note\n}', 2],
    ["garbage after the value", '{"kind": "A"}\n\nx', 3],
  ])("reports %s at the right line", async (_name, text, line) => {
    const dir = await tree({ "bad.json": text });
    const file = join(dir, "bad.json");
    const result = await loadInputs([file], {});
    expect(result.documents).toEqual([]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ file, line });
    expect(result.errors[0]?.message).toMatch(/invalid JSON/);
    expect(result.errors[0]?.message).not.toMatch(/\n/);
  });

  it("takes the last of duplicate keys, as the Kubernetes JSON decoder does", async () => {
    const dir = await tree({ "dup.json": '{"apiVersion": "v1", "kind": "A", "kind": "B"}' });
    const result = await loadInputs([dir], {});
    expect(summary(result).documents).toEqual([`${join(dir, "dup.json")}:1 B/`]);
  });

  it("finds an error exactly when JSON.parse does (property)", () => {
    // Near-JSON: every production is usually right and sometimes subtly wrong.
    const space = fc.constantFrom("", " ", "\n  ", "\t", "\r\n", "\u00a0");
    const stringChar = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom("a", "Z", "é", " ", "/", "'") },
      { weight: 2, arbitrary: fc.constantFrom("\\n", '\\"', "\\\\", "\\/", "\\u00e9", "\\uD83D") },
      { weight: 1, arbitrary: fc.constantFrom("\\x", "\\u12", "\\", "\t", "\n", "\u0001", "\u001f", "\u007f") },
    );
    const string = fc
      .tuple(fc.array(stringChar, { maxLength: 4 }), fc.constantFrom('"', '"', '"', "'", ""))
      .map(([chars, close]) => `"${chars.join("")}${close}`);
    const number = fc.oneof(
      fc.stringMatching(/^-?(0|[1-9][0-9]{0,2})(\.[0-9]{1,2})?([eE][+-]?[0-9]{1,2})?$/),
      fc.stringMatching(/^[-+]?[0-9]{0,2}\.?[0-9]{0,2}([eE][+-]?[0-9]{0,1})?$/),
    );
    const literal = fc.constantFrom("true", "false", "null", "tru", "nul", "True", "NaN");
    const { value } = fc.letrec<{ value: string; array: string; object: string }>((tie) => ({
      value: fc.oneof({ depthSize: "small", withCrossShrink: true }, string, number, literal, tie("array"), tie("object")),
      array: fc
        .tuple(
          fc.array(fc.tuple(space, tie("value"), space), { maxLength: 3 }),
          fc.constantFrom(",", ",", ",", ", ,", " "),
          fc.constantFrom("]", "]", "]", ",]", "", "}"),
        )
        .map(([items, comma, close]) => `[${items.map((item) => item.join("")).join(comma)}${close}`),
      object: fc
        .tuple(
          fc.array(
            fc.tuple(
              space,
              fc.oneof({ weight: 5, arbitrary: string }, { weight: 1, arbitrary: fc.constantFrom("key", "1") }),
              space,
              fc.constantFrom(":", ":", ":", "=", ""),
              space,
              tie("value"),
            ),
            { maxLength: 3 },
          ),
          fc.constantFrom(",", ",", ",", ";"),
          fc.constantFrom("}", "}", "}", ",}", "", "]"),
        )
        .map(([entries, comma, close]) => `{${entries.map((entry) => entry.join("")).join(comma)}${close}`),
    }));
    const document = fc.tuple(space, value, space, fc.constantFrom("", "", "", "x", "{}")).map((parts) => parts.join(""));
    let invalidSeen = 0;
    const settings = fuzzSettings(404, 5000);
    fc.assert(
      fc.property(document, (text) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
          invalidSeen++;
        }
        expect(locateJsonError(text) === undefined).toBe(valid);
      }),
      settings,
    );
    // Both outcomes must be common, or the property says little.
    expect(invalidSeen).toBeGreaterThan(settings.numRuns * 0.2);
    expect(invalidSeen).toBeLessThan(settings.numRuns * 0.9);
  });

  it("scans deeply nested JSON without overflowing the stack", () => {
    const deep = "[".repeat(200_000);
    expect(locateJsonError(deep)?.offset).toBe(deep.length);
    expect(locateJsonError(`${deep}${"]".repeat(200_000)}`)).toBeUndefined();
    expect(locateJsonError(`${deep}${"]".repeat(200_000)}x`)?.offset).toBe(400_000);
  });
});

describe("broken YAML", () => {
  it("reports each error at its 1-based line and still returns the other documents", async () => {
    const text = [
      endpoint("before").trimEnd(), // lines 1-7
      "---", // 8
      "apiVersion: v1", // 9
      "kind: Broken", // 10
      "metadata:", // 11
      "  name: x", // 12: the plain scalar that swallows the next line, where yaml places the error
      "   labels: {a: b}", // 13 bad indentation
      "---", // 14
      endpoint("after").trimEnd(), // 15-
    ].join("\n");
    const dir = await tree({ "broken.yaml": text });
    const file = join(dir, "broken.yaml");
    const result = await loadInputs([file], {});
    expect(summary(result).documents).toEqual([`${file}:1 VPCEndpoint/before`, `${file}:15 VPCEndpoint/after`]);
    expect(result.errors.length).toBeGreaterThanOrEqual(1);
    for (const error of result.errors) {
      expect(error.file).toBe(file);
      expect(error.line).toBe(12);
      expect(error.message).not.toMatch(/\n/);
      expect(error.message).not.toMatch(/at line \d+/);
    }
  });

  it("reports duplicate keys in YAML, as kubectl does", async () => {
    const dir = await tree({ "dup.yaml": "apiVersion: v1\nkind: A\nmetadata:\n  name: a\n  name: b\n" });
    const file = join(dir, "dup.yaml");
    const result = await loadInputs([file], {});
    expect(result.documents).toEqual([]);
    expect(summary(result).errors).toEqual([`${file}:5 column 3: Map keys must be unique`]);
  });

  it("reports a binary file as a parse error, never a crash", async () => {
    const dir = await mkdtemp(join(root, "bin-"));
    await writeFile(join(dir, "x.yaml"), Buffer.from([0x00, 0xff, 0xfe, 0x7b, 0x22, 0x0a, 0x5b, 0x09, 0x3a]));
    const result = await loadInputs([dir], {});
    expect(result.documents).toEqual([]);
    expect(result.errors.length).toBeGreaterThan(0);
  });
});

describe("unreadable input", () => {
  it("reports a missing path with a null line and goes on", async () => {
    const dir = await tree({ "ep.yaml": endpoint("a") });
    const missing = join(dir, "nope.yaml");
    const result = await loadInputs([missing, dir], {});
    expect(summary(result)).toEqual({
      documents: [`${join(dir, "ep.yaml")}:1 VPCEndpoint/a`],
      errors: [`${missing}:- cannot read: ENOENT: no such file or directory`],
    });
  });

  it("refuses a file over maxFileBytes without parsing it", async () => {
    const dir = await tree({ "big.yaml": endpoint("big").repeat(10), "small.yaml": endpoint("small") });
    const big = join(dir, "big.yaml");
    const result = await loadInputs([dir], { maxFileBytes: 200 });
    expect(summary(result).documents).toEqual([`${join(dir, "small.yaml")}:1 VPCEndpoint/small`]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ file: big, line: null });
    expect(result.errors[0]?.message).toMatch(/^cannot read: input is 1\.\d KiB, over the 200 bytes limit; split it/);
  });
});

describe("documents that are not ours", () => {
  it("reads an empty file, or one with only comments, as nothing", async () => {
    const dir = await tree({ "empty.yaml": "", "comments.yaml": "# nothing here\n", "blank.json": "  \n" });
    const result = await loadInputs([join(dir, "empty.yaml"), join(dir, "comments.yaml")], {});
    expect(result).toEqual({ documents: [], errors: [] });
  });

  it("skips documents without kind (Helm values, Chart.yaml), scalars and sequences", async () => {
    const dir = await tree({
      "values.yaml": "replicaCount: 2\nimage:\n  repository: nginx\n",
      "Chart.yaml": "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
      "scalars.yaml": "just a string\n---\n42\n---\n- a\n- b\n",
      "odd.yaml": "apiVersion: v1\nkind: 7\n",
    });
    const result = await loadInputs([dir], {});
    expect(result).toEqual({ documents: [], errors: [] });
  });

  it("returns kustomization-like objects with apiVersion and kind (adapters decide what to ignore)", async () => {
    const dir = await tree({
      "kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n",
    });
    const result = await loadInputs([dir], {});
    expect(result.documents.map((d) => d.object.kind)).toEqual(["Kustomization"]);
  });

  it("reports kind without apiVersion, naming the kind and the fix", async () => {
    const dir = await tree({
      "x.yaml": `${endpoint("ok")}---\n# forgot it\nkind: VPCEndpoint\nmetadata:\n  name: b\n---\nkind: Bucket\napiVersion: 2\n`,
    });
    const file = join(dir, "x.yaml");
    const result = await loadInputs([file], {});
    expect(summary(result)).toEqual({
      documents: [`${file}:1 VPCEndpoint/ok`],
      errors: [
        `${file}:10 document has kind VPCEndpoint but no apiVersion; add apiVersion`,
        `${file}:14 document has kind Bucket but an apiVersion that is not a string; add apiVersion`,
      ],
    });
  });

  it("reports metadata that is not a mapping", async () => {
    const dir = await tree({ "x.yaml": "apiVersion: v1\nkind: A\nmetadata: just-a-name\n" });
    const result = await loadInputs([dir], {});
    expect(result.documents).toEqual([]);
    expect(result.errors[0]?.message).toMatch(/metadata field that is not a mapping/);
  });
});

describe("alias abuse", () => {
  it("refuses an alias bomb quickly and keeps the file's other documents", async () => {
    const bomb = [
      "apiVersion: v1",
      "kind: Bomb",
      "a: &a [x, x, x, x, x, x, x, x, x, x]",
      "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]",
      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]",
      "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]",
      "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]",
      "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]",
      "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]",
      "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]",
      "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]",
    ].join("\n");
    const dir = await tree({ "bomb.yaml": `${endpoint("fine")}---\n${bomb}\n` });
    const file = join(dir, "bomb.yaml");
    const started = performance.now();
    const result = await loadInputs([file], {});
    expect(performance.now() - started).toBeLessThan(2000);
    expect(summary(result).documents).toEqual([`${file}:1 VPCEndpoint/fine`]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ file, line: 9 });
    expect(result.errors[0]?.message).toMatch(/more than 100 YAML aliases/);
  });

  it("refuses absurdly deep nesting that would overflow later recursive code", async () => {
    const deep = `{"apiVersion": "v1", "kind": "A", "spec": ${"[".repeat(5000)}${"]".repeat(5000)}}`;
    const fine = `{"apiVersion": "v1", "kind": "B", "spec": ${"[".repeat(50)}${"]".repeat(50)}}`;
    const deepYaml = `apiVersion: v1\nkind: C\nspec: ${"[".repeat(20000)}${"]".repeat(20000)}\n`;
    const dir = await tree({ "deep.json": deep, "fine.json": fine, "deep.yaml": deepYaml });
    const result = await loadInputs([dir], {});
    const tooDeep = "document nests more than 1000 levels deep; no manifest needs that, check the file";
    expect(summary(result)).toEqual({
      documents: [`${join(dir, "fine.json")}:1 B/`],
      errors: [`${join(dir, "deep.json")}:1 ${tooDeep}`, `${join(dir, "deep.yaml")}:3 ${tooDeep}`],
    });
  });

  it("refuses an anchor that refers to itself instead of looping", async () => {
    const dir = await tree({ "cycle.yaml": "apiVersion: v1\nkind: A\nspec: &s\n  self: *s\n" });
    const result = await loadInputs([dir], {});
    expect(result.documents).toEqual([]);
    expect(result.errors[0]?.message).toMatch(/anchor that refers to itself/);
  });
});

const SHARED_CRDS = join(import.meta.dirname, "../../../shared/crds");
const haveSharedCrds = existsSync(SHARED_CRDS);
if (!haveSharedCrds) console.log(`load.test: ${SHARED_CRDS} is absent; skipping the upstream example manifests`);

describe.skipIf(!haveSharedCrds)("upstream example manifests", () => {
  it("loads every provider's examples without an input error", async () => {
    const examples = ["upjet-aws/examples", "provider-aws-community/examples", "ack/examples"].map((dir) => join(SHARED_CRDS, dir));
    const result = await loadInputs(examples, {});
    expect(result.errors).toEqual([]);
    const kinds = new Set(result.documents.map((d) => `${d.object.apiVersion.split("/")[0]}/${d.object.kind}`));
    for (const kind of [
      "ec2.aws.upbound.io/VPCEndpoint",
      "ec2.aws.m.upbound.io/VPCEndpoint",
      "s3.aws.upbound.io/BucketPolicy",
      "s3.aws.crossplane.io/Bucket",
      "ec2.services.k8s.aws/VPCEndpoint",
      "s3.services.k8s.aws/Bucket",
    ]) {
      expect(kinds).toContain(kind);
    }
    for (const document of result.documents) {
      expect(document.line).toBeGreaterThanOrEqual(1);
      expect(typeof document.object.metadata).toBe("object");
    }
  });
});
