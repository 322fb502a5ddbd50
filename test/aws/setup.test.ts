import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { adapt } from "../../src/core/adapters/index.js";
import type { KubeObject } from "../../src/core/adapters/types.js";
import { awsRequestsHook, resolveEc2Endpoint, startAwsVerification } from "../../src/platform/aws/setup.js";
import { inventoryRegions, referencedAwsIds } from "../../src/core/inventory/aws-references.js";
import { runCheck } from "../../src/cli/check.js";
import { adapterContext } from "../../src/core/adapters/inventory-adapter.js";
import { Inventory } from "../../src/core/inventory/inventory.js";
import { createMetrics } from "../../src/platform/telemetry/metrics.js";
import { config } from "../helpers/check.js";
import {
  ackBucket,
  denyUnlessEndpoint,
  namespace,
  upjetBucket,
  upjetBucketPolicy,
  upjetEndpoint,
  DENY_UNLESS_PUBLIC_RANGE,
} from "../helpers/manifests.js";
import { testTempDir } from "../helpers/temp-dir.js";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";

function inventoryOf(objects: KubeObject[]): Inventory {
  const inventory = new Inventory();
  const cfg = config();
  for (const o of objects) {
    const r = adapt(o, adapterContext(inventory, cfg));
    if (r.status === "adapted") inventory.upsert(r.object);
  }
  return inventory;
}

describe("resolveEc2Endpoint", () => {
  const cfg = config({ aws: { endpoint: "http://127.0.0.1:3" } });
  it("prefers the flag, then AWS_ENDPOINT_URL_EC2, then config", () => {
    expect(resolveEc2Endpoint("http://127.0.0.1:1", cfg, { AWS_ENDPOINT_URL_EC2: "http://127.0.0.1:2" })).toEqual({
      ok: true,
      endpoint: "http://127.0.0.1:1",
      from: "--ec2-endpoint",
    });
    expect(resolveEc2Endpoint(undefined, cfg, { AWS_ENDPOINT_URL_EC2: "http://127.0.0.1:2" })).toMatchObject({
      endpoint: "http://127.0.0.1:2",
      from: "AWS_ENDPOINT_URL_EC2",
    });
    expect(resolveEc2Endpoint(undefined, cfg, {})).toMatchObject({ endpoint: "http://127.0.0.1:3", from: "config aws.endpoint" });
    expect(resolveEc2Endpoint(undefined, config(), {})).toMatchObject({ ok: true, endpoint: undefined });
  });

  it("names the source of a bad URL", () => {
    expect(resolveEc2Endpoint("localhost:5000x", config(), {})).toMatchObject({
      ok: false,
      error: expect.stringContaining("--ec2-endpoint"),
    });
    expect(resolveEc2Endpoint(undefined, config(), { AWS_ENDPOINT_URL_EC2: "ftp://x" })).toMatchObject({
      ok: false,
      error: expect.stringContaining("AWS_ENDPOINT_URL_EC2"),
    });
  });
});

describe("what the inventory asks AWS about", () => {
  const objects = [
    upjetEndpoint({ region: "eu-west-1", awsId: "vpce-11111111", vpcId: "vpc-11111111" }),
    upjetBucket({ region: "eu-central-1" }),
    upjetBucketPolicy({ region: "eu-central-1", policy: denyUnlessEndpoint("my-secure-bucket", "vpce-22222222") }),
    upjetBucketPolicy({ name: "by-vpc", policy: denyUnlessEndpoint("my-secure-bucket", "vpc-33333333", "aws:SourceVpc") }),
    upjetBucketPolicy({ name: "wild", policy: denyUnlessEndpoint("my-secure-bucket", "vpce-*", "aws:SourceVpce", "StringNotLike") }),
    namespace("team-b", "ap-south-1"),
    ackBucket({ namespace: "team-b" }),
  ];

  it("the regions of endpoints, buckets, policies and namespace defaults, plus defaults.region", () => {
    expect(inventoryRegions(inventoryOf(objects), "us-west-2")).toEqual([
      "ap-south-1",
      "eu-central-1",
      "eu-west-1",
      "us-east-1",
      "us-west-2",
    ]);
  });

  it("the endpoint CRs' ids and VPCs and the ids bucket policies require (no wildcards)", () => {
    expect(referencedAwsIds(inventoryOf(objects))).toEqual({
      endpointIds: ["vpce-11111111", "vpce-22222222"],
      vpcIds: ["vpc-11111111", "vpc-33333333"],
    });
  });
});

describe("awsRequestsHook", () => {
  it("counts attempts in s3_vpce_guard_aws_requests_total", async () => {
    const metrics = createMetrics({ processMetrics: false });
    const hook = awsRequestsHook(metrics);
    hook("DescribeVpcs", "throttled");
    hook("DescribeVpcs", "success");
    hook("DescribeVpcs", "success");
    const text = await metrics.registry.metrics();
    expect(text).toContain('s3_vpce_guard_aws_requests_total{operation="DescribeVpcs",outcome="throttled"} 1');
    expect(text).toContain('s3_vpce_guard_aws_requests_total{operation="DescribeVpcs",outcome="success"} 2');
  });
});

describe("missing credentials", () => {
  const saved = { ...process.env };
  beforeEach(() => {
    for (const key of Object.keys(process.env)) if (key.startsWith("AWS_")) delete process.env[key];
    Object.assign(process.env, {
      AWS_CONFIG_FILE: "/nonexistent",
      AWS_SHARED_CREDENTIALS_FILE: "/nonexistent",
      AWS_EC2_METADATA_DISABLED: "true",
    });
  });
  afterEach(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
    vi.restoreAllMocks();
  });

  it("turns AWS verification off with one clear log line", async () => {
    const lines: string[] = [];
    const started = await startAwsVerification({
      config: config(),
      regions: () => ["us-east-1"],
      endpointFlag: "http://127.0.0.1:9",
      log: { warn: (m) => void lines.push(m), info: (m) => void lines.push(m) },
    });
    expect(started).toMatchObject({ ok: false, badInput: false });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^AWS verification is off: no AWS credentials found by the default chain .*all other checks run as usual\.$/);
    expect(lines[0]).not.toContain("\n");
  });

  it("the CLI prints that one line on stderr and still exits by the other findings", async () => {
    const dir = testTempDir("s3vg-aws-");
    const file = join(dir, "in.yaml");
    const violating = upjetBucketPolicy({
      policy: DENY_UNLESS_PUBLIC_RANGE,
    });
    const unknownRef = upjetBucketPolicy({ name: "unknown", policy: denyUnlessEndpoint("my-secure-bucket", "vpce-0123456789abcdef0") });
    writeFileSync(file, [violating, unknownRef].map((o) => stringify(o)).join("---\n"));
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => (out.push(String(chunk)), true));
    vi.spyOn(process.stderr, "write").mockImplementation((chunk) => (err.push(String(chunk)), true));
    const code = await runCheck({ paths: [file], configPath: undefined, output: "json", aws: true, ec2Endpoint: "http://127.0.0.1:9" });
    vi.restoreAllMocks();
    expect(code).toBe(1);
    expect(err.join("").trimEnd().split("\n")).toHaveLength(1);
    expect(err.join("")).toMatch(/^s3-vpce-guard check: AWS verification is off: no AWS credentials found/);
    const report = JSON.parse(out.join("")) as { findings: { rule: string; message: string }[] };
    expect(report.findings.map((f) => f.rule)).toContain("source-ip-condition");
    const unknown = report.findings.find((f) => f.rule === "unknown-endpoint-reference");
    expect(unknown?.message).toContain("not in the cluster)");
  });

  it("a malformed --ec2-endpoint is bad input: exit 2 with the reason", async () => {
    const err: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk) => (err.push(String(chunk)), true));
    vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const dir = testTempDir("s3vg-aws-");
    writeFileSync(join(dir, "e.yaml"), stringify(upjetEndpoint({})));
    const code = await runCheck({ paths: [dir], configPath: undefined, output: "text", aws: true, ec2Endpoint: "not a url" });
    vi.restoreAllMocks();
    expect(code).toBe(2);
    expect(err.join("")).toContain('--ec2-endpoint: "not a url" is not a URL');
  });
});
