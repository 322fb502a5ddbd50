import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { suiteTempDirs } from "../helpers/temp-dir.js";

const root = resolve(import.meta.dirname, "../..");
// Built by the globalSetup test/helpers/build-dist.ts whenever src/ is newer.
const cli = join(root, "dist/src/cli/main.js");
const EXAMPLE = join(root, "examples/explain");
const ROLE = "arn:aws:iam::111122223333:role/payments-app";

function run(args: string[]) {
  const r = spawnSync(process.execPath, [cli, "explain", ...args], { cwd: root, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tempDir = suiteTempDirs();
let dir: string;
beforeAll(() => {
  dir = tempDir("s3vg-explain-");
  writeFileSync(
    join(dir, "app-policy.json"),
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Sid: "App", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: "arn:aws:s3:::acme-payments-data/*" }],
    }),
  );
  writeFileSync(join(dir, "not-a-policy.json"), '{"Statement": "nope"');
});

describe("s3-vpce-guard explain (spawned)", () => {
  it("exits 0 when every action works on some path, and names the condition", () => {
    const r = run(["--bucket", "acme-payments-data", EXAMPLE]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Through VPCEndpoint payments-s3-gateway");
    expect(r.stdout).toContain("s3:GetObject on arn:aws:s3:::acme-payments-data/*: ALLOWED WHEN aws:PrincipalOrgID = o-a1b2c3d4e5");
    expect(r.stdout).toContain('add "vpce-0b2c3d4e5f6a78901" to StringNotEquals aws:SourceVpce');
  });

  it("exits 1 when the role's identity policies miss an action; JSON has the documented shape", () => {
    const r = run([
      "--bucket",
      "acme-payments-data",
      "--endpoint",
      "vpce-0a1b2c3d4e5f67890",
      "--principal",
      ROLE,
      "--action",
      "s3:PutObject",
      "--key",
      "reports/q1.csv",
      "-o",
      "json",
      EXAMPLE,
    ]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out).sort()).toEqual(["allowed", "bucket", "identity", "notes", "paths", "principal"]);
    expect(out.bucket).toEqual({ name: "acme-payments-data", resource: "Bucket payments-data", region: "us-east-1" });
    expect(out.identity).toEqual({
      evaluated: true,
      sources: ["Role payments-app spec.forProvider.inlinePolicy[0].policy", "Policy payments-list spec.forProvider.policy"],
      missing: [],
    });
    expect(out.paths).toHaveLength(1);
    expect(out.paths[0].endpoint).toEqual({
      resource: "VPCEndpoint payments-s3-gateway",
      id: "vpce-0a1b2c3d4e5f67890",
      vpc: "vpc-0a1b2c3d4e5f67890",
      region: "us-east-1",
      type: "Gateway",
    });
    const put = out.paths[0].actions[0];
    expect(Object.keys(put).sort()).toEqual(["action", "conditions", "fixes", "layers", "notes", "outcome", "resource"]);
    expect(put).toMatchObject({ action: "s3:PutObject", resource: "arn:aws:s3:::acme-payments-data/reports/q1.csv", outcome: "denied" });
    expect(put.layers.map((l: { layer: string; passes: string }) => [l.layer, l.passes])).toEqual([
      ["endpoint", "sometimes"],
      ["bucket", "always"],
      ["identity", "never"],
    ]);
    expect(put.fixes).toEqual([
      {
        layer: "identity",
        source: "Role payments-app",
        path: "spec.forProvider.inlinePolicy[0].policy → Statement[0].Action",
        change: 'Statement[0] (Sid ReadPayments): add "s3:PutObject" to Action',
      },
    ]);
    expect(out.allowed).toBe(false);
  });

  it("takes the identity policy from a file", () => {
    const r = run([
      "--bucket",
      "acme-payments-data",
      "--endpoint",
      "payments-s3-gateway",
      "--identity-policy",
      join(dir, "app-policy.json"),
      "-a",
      "s3:PutObject",
      "-o",
      "json",
      EXAMPLE,
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).paths[0].actions[0]).toMatchObject({
      outcome: "conditional",
      conditions: ["aws:PrincipalOrgID = o-a1b2c3d4e5"],
    });
  });

  it("exits 1 on a region mismatch", () => {
    const r = run(["--bucket", "acme-payments-data", "--endpoint", "eu-s3-gateway", "-a", "s3:GetObject", EXAMPLE]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("reaches S3 in eu-west-1, the bucket is in us-east-1");
  });

  it("exits 2 on bad input, with the reason", () => {
    const cases: [string[], RegExp][] = [
      [[EXAMPLE], /--bucket NAME is required/],
      [["--bucket", "acme-payments-data", "--endpoint", "vpce-0000000000000000f", EXAMPLE], /no S3 endpoint with that id/],
      [["--bucket", "acme-payments-data", "--action", "s3:Get*", EXAMPLE], /expected one S3 action/],
      [["--bucket", "acme-payments-data", "--principal", "payments-app", EXAMPLE], /expected an ARN/],
      [
        ["--bucket", "acme-payments-data", "--identity-policy", join(dir, "not-a-policy.json"), EXAMPLE],
        /--identity-policy .*not-a-policy.json: not a policy/,
      ],
      [["--bucket", "acme-payments-data", "--identity-policy", join(dir, "missing.json"), EXAMPLE], /cannot read it \(ENOENT\)/],
      [["--bucket", "acme-payments-data", "--output", "sarif", EXAMPLE], /--output must be text or json/],
      [["--bucket", "acme-payments-data", "--bukket", "x", EXAMPLE], /unknown flag --bukket; did you mean --bucket\?/],
    ];
    for (const [args, message] of cases) {
      const r = run(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe("");
    }
  });

  it("explain --help prints the usage with examples", () => {
    const r = run(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("s3-vpce-guard explain --bucket NAME");
    expect(r.stdout).toContain("Examples:");
  });
});

describe("s3-vpce-guard map (spawned)", () => {
  const map = (args: string[]) => spawnSync(process.execPath, [cli, "map", ...args], { cwd: root, encoding: "utf8" });

  it("prints DOT by default and Mermaid on request, exit 0", () => {
    const dot = map([EXAMPLE]);
    expect(dot.status).toBe(0);
    expect(dot.stdout).toMatch(/^digraph s3_vpce_map \{/);
    const mermaid = map(["-o", "mermaid", EXAMPLE]);
    expect(mermaid.status).toBe(0);
    expect(mermaid.stdout).toMatch(/^flowchart LR\n/);
  });

  it("draws html and svg; exits 2 on an output it does not draw", () => {
    const html = map(["--output", "html", EXAMPLE]);
    expect(html.status).toBe(0);
    expect(html.stdout).toMatch(/^<!DOCTYPE html>\n/);
    expect(map(["--output", "svg", EXAMPLE]).stdout).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg /);
    const r = map(["--output", "png", EXAMPLE]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--output must be html, svg, dot or mermaid, not "png"');
  });
});
