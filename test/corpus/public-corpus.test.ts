/**
 * The public corpus: real bucket and endpoint policies that nobody on this project wrote (AWS
 * documentation, the AWS data-perimeter examples, Knowledge Center answers, Terraform modules,
 * provider example manifests), each with the verdict an IAM expert gives. The suite holds the
 * rules to that yardstick: no `deny` the verdict does not allow, and no "locked / unreachable /
 * never / all traffic denied" claim the verdict does not say is true (README: a finding is a claim
 * that must hold for every request it speaks of). Fixtures and their sources live in
 * test/corpus/public/ (SOURCES.md).
 */
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../src/core/adapters/types.js";
import { checkObjects } from "../../src/app/check-objects.js";
import type { ReportedFinding } from "../../src/core/model/report.js";
import { config } from "../helpers/check.js";

const CORPUS_DIR = join(dirname(fileURLToPath(import.meta.url)), "public");

/** A claim about every request of a path; the wording is the one the rules use today. */
type Claim = "locked" | "unreachable" | "never" | "all-denied" | "all-granted";

const CLAIM_PATTERNS: Record<Claim, RegExp> = {
  locked: /\blocked\b/i,
  unreachable: /\bunreachable\b|cannot succeed|cannot reach|none of its S3 endpoints|\bdenies\b[^.]*\bthrough this endpoint\b/i,
  never: /\bnever\b|can ever match|grants nothing|allows no\b/i,
  "all-denied": /all endpoint traffic is denied|every request\b[^.]*\bis denied|everyone\b[^.]*\blocked out/i,
  "all-granted": /\bto all endpoint traffic\b/i,
};

interface EndpointFact {
  /** The real `vpce-…` id (status.atProvider.id). */
  id: string;
  vpcId: string;
  region?: string;
  type?: "Gateway" | "Interface";
  /** The endpoint's own policy (JSON); absent = AWS's default full-access policy. */
  policy?: unknown;
}

interface BucketFact {
  name: string;
  region?: string;
  policy?: unknown;
}

interface Fixture {
  id: string;
  /** What carries `policy`: an S3 endpoint (the first of `context.endpoints`) or a bucket (`context.bucket`). */
  kind: "endpoint" | "bucket";
  /** "verbatim", or which placeholder values were replaced and by what. */
  transcription: string;
  /** The policy as published: a JSON document, or a string when the text itself matters. */
  policy: unknown;
  context: {
    region?: string;
    /** The bucket whose BucketPolicy is `policy` (kind bucket). */
    bucket?: BucketFact;
    /** Endpoints in the inventory; for kind endpoint the first one carries `policy`. */
    endpoints?: EndpointFact[];
    /** Other buckets in the inventory. */
    buckets?: BucketFact[];
  };
  verdict: {
    /** Rule ids that may legitimately fire at `deny`. */
    deny: string[];
    /** `rule:claim` pairs whose claim is true for this policy. */
    trueClaims: string[];
    why: string;
  };
}

function loadFixtures(): Fixture[] {
  return readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => {
      const fixture = JSON.parse(readFileSync(join(CORPUS_DIR, f), "utf8")) as Fixture;
      if (`${fixture.id}.json` !== f) throw new Error(`${f}: id ${fixture.id} does not match the file name`);
      return fixture;
    });
}

const policyText = (p: unknown): string | undefined => (p === undefined ? undefined : typeof p === "string" ? p : JSON.stringify(p));

/** Kubernetes names: lower-case RFC 1123, derived from the AWS name. */
const kubeName = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63) || "x";

function endpointManifest(e: EndpointFact, policy: unknown, region: string): KubeObject {
  const r = e.region ?? region;
  const forProvider: Record<string, unknown> = {
    region: r,
    serviceName: `com.amazonaws.${r}.s3`,
    vpcId: e.vpcId,
    vpcEndpointType: e.type ?? "Gateway",
  };
  const text = policyText(policy);
  if (text !== undefined) forProvider.policy = text;
  return {
    apiVersion: "ec2.aws.upbound.io/v1beta1",
    kind: "VPCEndpoint",
    metadata: { name: kubeName(e.id) },
    spec: { forProvider },
    status: { atProvider: { id: e.id } },
  };
}

/** Gateway endpoints get one route table, as real ones have, so the corpus is judged on its policies. */
function routeTableAssociation(e: EndpointFact, region: string): KubeObject {
  return {
    apiVersion: "ec2.aws.upbound.io/v1beta1",
    kind: "VPCEndpointRouteTableAssociation",
    metadata: { name: `${kubeName(e.id)}-rtb` },
    spec: { forProvider: { region: e.region ?? region, vpcEndpointId: e.id, routeTableId: "rtb-0a1b2c3d4e5f67890" } },
  };
}

function bucketManifests(b: BucketFact, region: string): KubeObject[] {
  const r = b.region ?? region;
  const name = kubeName(b.name);
  const out: KubeObject[] = [
    {
      apiVersion: "s3.aws.upbound.io/v1beta1",
      kind: "Bucket",
      metadata: { name, annotations: { "crossplane.io/external-name": b.name } },
      spec: { forProvider: { region: r } },
    },
  ];
  const text = policyText(b.policy);
  if (text !== undefined) {
    out.push({
      apiVersion: "s3.aws.upbound.io/v1beta1",
      kind: "BucketPolicy",
      metadata: { name: `${name}-policy` },
      spec: { forProvider: { region: r, bucket: b.name, policy: text } },
    });
  }
  return out;
}

function manifestsOf(f: Fixture): KubeObject[] {
  const region = f.context.region ?? "us-east-1";
  const endpoints = f.context.endpoints ?? [];
  if (f.kind === "endpoint" && endpoints.length === 0) throw new Error(`${f.id}: an endpoint fixture needs context.endpoints[0]`);
  if (f.kind === "bucket" && !f.context.bucket) throw new Error(`${f.id}: a bucket fixture needs context.bucket`);
  const objects: KubeObject[] = endpoints.flatMap((e, i) => [
    endpointManifest(e, f.kind === "endpoint" && i === 0 ? f.policy : e.policy, region),
    ...((e.type ?? "Gateway") === "Gateway" ? [routeTableAssociation(e, region)] : []),
  ]);
  if (f.context.bucket)
    objects.push(...bucketManifests(f.kind === "bucket" ? { ...f.context.bucket, policy: f.policy } : f.context.bucket, region));
  for (const b of f.context.buckets ?? []) objects.push(...bucketManifests(b, region));
  return objects;
}

function run(f: Fixture): { findings: ReportedFinding[]; errors: string[] } {
  const report = checkObjects(
    manifestsOf(f).map((object, i) => ({ object, file: `${f.id}.json`, line: i + 1 })),
    { config: config() },
  );
  return { findings: report.findings, errors: report.errors.map((e) => e.message) };
}

const claimsOf = (message: string): Claim[] => (Object.keys(CLAIM_PATTERNS) as Claim[]).filter((c) => CLAIM_PATTERNS[c].test(message));

const fixtures = loadFixtures();

describe("public policy corpus", () => {
  it("holds at least 60 fixtures, each with a source in SOURCES.md", () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(60);
    const sources = readFileSync(join(CORPUS_DIR, "SOURCES.md"), "utf8");
    const listed = new Set([...sources.matchAll(/^\|\s*`([a-z0-9-]+)`\s*\|/gm)].map((m) => m[1]));
    const missing = fixtures.filter((f) => !listed.has(f.id)).map((f) => f.id);
    expect(missing).toEqual([]);
    expect(new Set(fixtures.map((f) => f.id)).size).toBe(fixtures.length);
  });

  it("has endpoint and bucket policies", () => {
    expect(fixtures.filter((f) => f.kind === "endpoint").length).toBeGreaterThanOrEqual(15);
    expect(fixtures.filter((f) => f.kind === "bucket").length).toBeGreaterThanOrEqual(30);
  });

  it.each(fixtures.map((f) => [f.id, f] as const))("%s: no false deny, no false claim", (_id, f) => {
    const { findings, errors } = run(f);
    expect(errors, "the fixture's manifests are valid input").toEqual([]);
    const falseDenies = findings
      .filter((x) => x.action === "deny" && !f.verdict.deny.includes(x.rule))
      .map((x) => `${x.rule}: ${x.message}`);
    const falseClaims = findings.flatMap((x) =>
      claimsOf(x.message)
        .filter((c) => !f.verdict.trueClaims.includes(`${x.rule}:${c}`))
        .map((c) => `${x.rule} [${c}] ${x.message}`),
    );
    expect({ falseDenies, falseClaims }).toEqual({ falseDenies: [], falseClaims: [] });
  });
});
