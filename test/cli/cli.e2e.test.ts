import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import {
  GUIDE,
  bucketGrant,
  denyUnlessEndpoint,
  upjetBucket,
  upjetBucketPolicy,
  upjetEndpoint,
  upjetRouteTableAssociation,
  DENY_UNLESS_PUBLIC_RANGE,
} from "../helpers/manifests.js";
import { suiteTempDirs, testTempDir } from "../helpers/temp-dir.js";

const root = resolve(import.meta.dirname, "../..");
// Built by the globalSetup test/helpers/build-dist.ts whenever src/ is newer.
const cli = join(root, "dist/src/cli/main.js");
// The package's bin (scripts/bundle/build.mjs): one CommonJS bundle behind a code-cache launcher.
const bundle = join(root, "dist/src/bundle/main.cjs");

function run(args: string[], input?: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [cli, ...args], {
    cwd: root,
    input,
    encoding: "utf8",
    maxBuffer: 1 << 28,
    env: { ...process.env, NO_COLOR: "1", ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const yamlDocs = (...objects: unknown[]) => objects.map((o) => stringify(o)).join("---\n");
const VPCE = "vpce-0a1b2c3d4e5f67890";
const compliant = yamlDocs(
  upjetEndpoint({ awsId: VPCE, policy: bucketGrant("my-secure-bucket") }),
  upjetRouteTableAssociation({ endpointRef: "s3-gateway" }),
  upjetBucket({}),
  upjetBucketPolicy({ policy: denyUnlessEndpoint("my-secure-bucket", VPCE) }),
);
const violating = yamlDocs(
  upjetBucketPolicy({
    name: "ip-policy",
    policy: DENY_UNLESS_PUBLIC_RANGE,
  }),
);

const tempDir = suiteTempDirs();
let dir: string;
beforeAll(() => {
  dir = tempDir("s3vg-cli-");
  writeFileSync(join(dir, "compliant.yaml"), compliant);
  writeFileSync(join(dir, "violating.yaml"), violating);
  mkdirSync(join(dir, "nested/deeper"), { recursive: true });
  writeFileSync(
    join(dir, "nested/deeper/endpoint.json"),
    JSON.stringify(upjetEndpoint({ name: "json-endpoint", awsId: "vpce-1a2b3c4d", policy: GUIDE.bucketOnly })),
  );
  writeFileSync(join(dir, "broken.yaml"), "apiVersion: v1\nkind: [unclosed\n");
  writeFileSync(join(dir, "README.txt"), "not yaml, ignored by extension");
});

describe("s3-vpce-guard check (spawned)", () => {
  it("exits 0 with no findings on a compliant file", () => {
    const r = run(["check", "--output", "json", join(dir, "compliant.yaml")]);
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout);
    expect(out.findings).toEqual([]);
    expect(out.summary).toEqual({ resources: 4, deny: 0, warn: 0, audit: 0, errors: 0 });
    expect(r.code).toBe(0);
  });

  it("exits 1 on a deny finding and prints the SPEC JSON shape", () => {
    const r = run(["check", "-o", "json", join(dir, "violating.yaml")]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out).sort()).toEqual(["errors", "findings", "summary"]);
    const f = out.findings.find((x: { rule: string }) => x.rule === "source-ip-condition");
    expect(f).toMatchObject({
      action: "deny",
      resource: { apiVersion: "s3.aws.upbound.io/v1beta1", kind: "BucketPolicy", namespace: null, name: "ip-policy" },
      file: join(dir, "violating.yaml"),
    });
    for (const key of ["rule", "action", "message", "fix", "guide", "path", "resource", "file"]) expect(f).toHaveProperty(key);
  });

  it("walks directories, reports an unparsable file as file:line and still checks the rest (exit 2)", () => {
    const r = run(["check", dir]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/broken\.yaml:[23]: /);
    expect(r.stdout).toContain("ip-policy");
    expect(r.stdout).toContain("json-endpoint");
    expect(r.stdout).toMatch(/resources checked/);
  });

  it("reads stdin", () => {
    const r = run(["check", "-o", "json", "-"], violating);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).findings[0].file).toBe("<stdin>");
  });

  it("emits SARIF 2.1.0", () => {
    const r = run(["check", "--output", "sarif", join(dir, "violating.yaml")]);
    const sarif = JSON.parse(r.stdout);
    expect(sarif.version).toBe("2.1.0");
    expect(sarif.runs[0].results.length).toBeGreaterThan(0);
    expect(r.code).toBe(1);
  });

  it("exits 2 on a bad config with one line per problem", () => {
    writeFileSync(join(dir, "bad-config.yml.txt"), "rules:\n  ipv4-only: { action: maybe }\nawsFeatureLevel: newest\n");
    const r = run(["check", "--config", join(dir, "bad-config.yml.txt"), join(dir, "compliant.yaml")]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(2);
    expect(r.stderr).toContain("rules.ipv4-only.action");
  });

  it("applies a config file", () => {
    writeFileSync(join(dir, "off.yml.txt"), "rules:\n  source-ip-condition: { action: off }\n");
    const r = run(["check", "-o", "json", "--config", join(dir, "off.yml.txt"), join(dir, "violating.yaml")]);
    expect(r.code).toBe(0);
  });

  it("exits 2 on a missing path, an unknown flag, or a bad output format", () => {
    expect(run(["check", join(dir, "does-not-exist.yaml")]).code).toBe(2);
    expect(run(["check", "--frobnicate", dir]).code).toBe(2);
    expect(run(["check", "--output", "xml", dir]).code).toBe(2);
    expect(run(["nope"]).code).toBe(2);
  });

  it("answers COMMAND --help with that command's usage on stdout, exit 0", () => {
    const serve = run(["serve", "--help"]);
    expect(serve).toMatchObject({ code: 0, stderr: "" });
    expect(serve.stdout).toContain("s3-vpce-guard serve --tls-cert");
    expect(run(["reconcile", "-h"]).stdout).toContain("s3-vpce-guard reconcile");
    const check = run(["check", "--help"]);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain("s3-vpce-guard check");
  });

  it("lists the rule catalogue", () => {
    const r = run(["rules", "--output", "json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).map((x: { id: string }) => x.id)).toContain("effective-access");
  });
});

describe("large inputs", () => {
  it("parses big inputs that need the yaml package in worker threads with the same result as in one thread", () => {
    const big = testTempDir("s3vg-big-");
    for (let f = 0; f < 3; f++) {
      const docs = [];
      for (let i = 0; i < 400; i++) {
        const n = f * 1000 + i;
        docs.push(
          upjetEndpoint({
            name: `e${n}`,
            awsId: `vpce-${n.toString(16).padStart(17, "0")}`,
            policy: bucketGrant(`bucket-${n}-${"x".repeat(400)}`),
          }),
        );
        docs.push(
          upjetBucketPolicy({
            name: `p${n}`,
            bucket: `bucket-${n}`,
            policy: denyUnlessEndpoint(`bucket-${n}`, `vpce-${(n + 1).toString(16).padStart(17, "0")}`),
          }),
        );
      }
      // An alias is beyond the fast reader: these files go to the yaml package (and its workers).
      writeFileSync(join(big, `part-${f}.yaml`), `anchor: &a 1\nalias: *a\n---\n${yamlDocs(...docs)}`);
    }
    const parallel = run(["check", "-o", "json", big], undefined, { S3VG_PARSE_WORKERS: "2" });
    const serial = run(["check", "-o", "json", big], undefined, { S3VG_PARSE_WORKERS: "0" });
    expect(parallel.stderr).toBe("");
    expect(parallel.stdout).toBe(serial.stdout);
    // The bundled CLI (package.json "bin") starts its workers from its own folder.
    const bundled = spawnSync(process.execPath, [bundle, "check", "-o", "json", big], {
      encoding: "utf8",
      maxBuffer: 1 << 28,
      env: { ...process.env, S3VG_PARSE_WORKERS: "2", NODE_DISABLE_COMPILE_CACHE: "1" },
    });
    expect(bundled.stderr).toBe("");
    expect(bundled.stdout).toBe(serial.stdout);
    expect(JSON.parse(parallel.stdout).summary.resources).toBe(2400);
  });
});

describe("the bundled CLI (package.json bin)", () => {
  const cacheHome = suiteTempDirs()("s3vg-code-cache-");
  const cacheDir = join(cacheHome, "s3-vpce-guard", "code-cache");
  const runBundle = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [bundle, ...args], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1", XDG_CACHE_HOME: cacheHome, ...env },
    });
  const cacheFiles = () => (existsSync(cacheDir) ? readdirSync(cacheDir).sort() : []);

  it("prints the same version and findings as the unbundled one", () => {
    expect(runBundle(["--version"]).stdout).toBe(run(["--version"]).stdout);
    const bundled = runBundle(["check", "-o", "json", "examples/"]);
    const unbundled = run(["check", "-o", "json", "examples/"]);
    expect(bundled.status).toBe(unbundled.code);
    expect(bundled.stdout).toBe(unbundled.stdout);
    expect(runBundle(["help", "serve"]).stdout).toBe(run(["help", "serve"]).stdout);
    expect(runBundle(["rules", "-o", "json"]).stdout).toBe(run(["rules", "-o", "json"]).stdout);
    // --cluster loads the Kubernetes client, an ES module the CommonJS bundle require()s.
    const noKubeconfig = { KUBECONFIG: join(cacheHome, "no-such-kubeconfig") };
    const bundledCluster = runBundle(["check", "--cluster"], noKubeconfig);
    expect(bundledCluster.stderr).toContain("cannot load the Kubernetes configuration");
    expect(bundledCluster.stderr).toBe(run(["check", "--cluster"], undefined, noKubeconfig).stderr);
    expect(bundledCluster.status).toBe(2);
  });

  it("keeps one code cache per command in the user's cache folder, readable by the user only, and drops other builds'", () => {
    rmSync(cacheDir, { recursive: true, force: true });
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(join(cacheDir, "0123456789abcdef-check-v0.0.0"), "an older build's cache");
    const first = runBundle(["check", "-o", "json", "examples/"]);
    const [file, ...others] = cacheFiles();
    expect(others).toEqual([]);
    expect(file).toMatch(new RegExp(`^[0-9a-f]{16}-check-${process.version.replaceAll(".", "\\.")}$`));
    expect(statSync(join(cacheDir, file!)).mode & 0o777).toBe(0o600);
    const second = runBundle(["check", "-o", "json", "examples/"]);
    expect(second.stdout).toBe(first.stdout);
    expect(second.status).toBe(first.status);
    // serve and reconcile start once: no cache for them (nor for --version).
    runBundle(["--version"]);
    expect(cacheFiles()).toEqual([file]);
  });

  it("never lets a broken, foreign-writable or disabled cache change a result", () => {
    const expected = run(["check", "-o", "json", "examples/"]);
    rmSync(cacheDir, { recursive: true, force: true });
    runBundle(["check", "-o", "json", "examples/"]);
    const [file] = cacheFiles();
    const path = join(cacheDir, file!);

    writeFileSync(path, Buffer.alloc(4096, 0xa5)); // garbage: V8 rejects it, the run writes a new one
    const afterGarbage = runBundle(["check", "-o", "json", "examples/"]);
    expect(afterGarbage.stdout).toBe(expected.stdout);
    expect(readFileSync(path).subarray(0, 16)).not.toEqual(Buffer.alloc(16, 0xa5));

    chmodSync(path, 0o666); // others could have written it: not read, replaced by one of our own
    const afterForeign = runBundle(["check", "-o", "json", "examples/"]);
    expect(afterForeign.stdout).toBe(expected.stdout);
    expect(statSync(path).mode & 0o777).toBe(0o600);

    rmSync(cacheDir, { recursive: true, force: true });
    const disabled = runBundle(["check", "-o", "json", "examples/"], { NODE_DISABLE_COMPILE_CACHE: "1" });
    expect(disabled.stdout).toBe(expected.stdout);
    expect(existsSync(cacheDir)).toBe(false);

    // A cache folder that cannot be made (a parent is a file; one under /proc made Node's
    // recursive mkdir loop forever): the run only goes without.
    const notAFolder = join(cacheHome, "a-file");
    writeFileSync(notAFolder, "");
    for (const home of [join(notAFolder, "cache"), "/proc/s3vg-no-such-dir"]) {
      const unwritable = runBundle(["check", "-o", "json", "examples/"], { XDG_CACHE_HOME: home });
      expect(unwritable.stdout).toBe(expected.stdout);
      expect(unwritable.stderr).toBe("");
    }
  });
});

describe("bundled examples", () => {
  it("flags the violating examples and passes the compliant ones", () => {
    const r = run(["check", "-o", "json", "examples/"]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.errors).toEqual([]);
    const files = new Set(out.findings.map((f: { file: string }) => f.file));
    // examples/explain/ is explain's worked scenario (its default-policy endpoints warn), not a
    // compliant/violating pair; every other finding must come from a violating file.
    expect([...files].filter((f) => !String(f).startsWith("examples/explain/")).every((f) => String(f).includes("violating"))).toBe(true);
    const rules = new Set(out.findings.map((f: { rule: string }) => f.rule));
    for (const id of [
      "source-ip-condition",
      "vpce-condition-value",
      "endpoint-full-access",
      "cross-region",
      "ipv4-only",
      "gateway-without-route-tables",
      "object-arn-coverage",
      "unknown-endpoint-reference",
    ]) {
      expect(rules).toContain(id);
    }
  });
});
