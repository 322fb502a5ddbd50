/**
 * The bundled examples (README: `s3-vpce-guard check examples/`) are adapted cleanly, and each
 * family's compliant.yaml / violating.yaml has the shape its header comment promises. The
 * rule outcomes themselves are tested with the rules; here we check the model they read.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { adapt } from "../../src/core/adapters/index.js";
import type { Bucket, BucketPolicy, Endpoint, ModelObject, PolicyField, RouteTableAssociation } from "../../src/core/model/types.js";
import { EXAMPLES, contextWith, parseYaml } from "./helpers.js";

const FAMILIES = ["upjet", "upjet-namespaced", "community", "ack"] as const;

function adaptExample(family: string, file: string): ModelObject[] {
  const full = path.join(EXAMPLES, family, file);
  const text = readFileSync(full, "utf8");
  expect(text.startsWith("#"), `${family}/${file} starts with a comment saying what it shows`).toBe(true);
  const namespaces = new Map<string, string>();
  const docs = parseYaml(text, full);
  for (const doc of docs) {
    const result = adapt(doc, contextWith());
    if (result.status === "adapted" && result.object.type === "Namespace" && result.object.defaultRegion) {
      namespaces.set(result.object.name, result.object.defaultRegion);
    }
  }
  const context = contextWith(Object.fromEntries(namespaces), "us-east-1");
  return docs.map((doc) => {
    const result = adapt(doc, context);
    if (result.status !== "adapted") throw new Error(`${family}/${file}: ${JSON.stringify(result)}`);
    expect(result.issues, `${family}/${file} ${JSON.stringify(result.object.ref)}`).toEqual([]);
    return result.object;
  });
}

const ofType = <T extends ModelObject["type"]>(objects: ModelObject[], type: T) =>
  objects.filter((o): o is Extract<ModelObject, { type: T }> => o.type === type);

function policyErrors(policy: PolicyField | undefined): string[] {
  return (policy?.issues ?? []).filter((i) => i.severity === "error").map((i) => `${i.path}: ${i.message}`);
}

function bucketPolicies(objects: ModelObject[]): { bucketName: string | undefined; policy: PolicyField | undefined }[] {
  const buckets = ofType(objects, "Bucket");
  const fromBuckets = buckets.filter((b) => b.policy).map((b: Bucket) => ({ bucketName: b.name?.value, policy: b.policy }));
  const fromKinds = ofType(objects, "BucketPolicy").map((p: BucketPolicy) => ({
    bucketName: p.bucket.value ?? buckets.find((b) => b.ref.name === p.bucket.ref?.name)?.name?.value,
    policy: p.policy,
  }));
  return [...fromBuckets, ...fromKinds];
}

function conditionValues(policy: PolicyField | undefined, key: string): string[] {
  return (policy?.document?.statements ?? []).flatMap((s) =>
    s.conditions.filter((c) => c.key.toLowerCase() === key.toLowerCase()).flatMap((c) => c.values),
  );
}

function routeTablesOf(endpoint: Endpoint, associations: RouteTableAssociation[]): number {
  const attached = associations.filter(
    (a) => a.endpoint.ref?.name === endpoint.ref.name || (endpoint.awsId !== undefined && a.endpoint.value === endpoint.awsId),
  );
  return endpoint.routeTables.length + attached.length;
}

describe.each(FAMILIES)("examples/%s", (family) => {
  it("compliant.yaml is a coherent, restricted S3 set", () => {
    const objects = adaptExample(family, "compliant.yaml");
    const endpoints = ofType(objects, "Endpoint");
    expect(endpoints).toHaveLength(1);
    const [endpoint] = endpoints as [Endpoint];
    expect(endpoint.isS3).toBe(true);
    expect(endpoint.endpointType.value).toBe("Gateway");
    expect(endpoint.serviceNameRegion).toBe(endpoint.region?.value);
    expect(endpoint.awsId).toMatch(/^vpce-[0-9a-f]{17}$/);
    expect(routeTablesOf(endpoint, ofType(objects, "RouteTableAssociation"))).toBeGreaterThan(0);
    expect(policyErrors(endpoint.policy)).toEqual([]);
    const bucketPolicyList = bucketPolicies(objects);
    expect(bucketPolicyList).toHaveLength(1);
    const [{ bucketName, policy }] = bucketPolicyList as [{ bucketName: string; policy: PolicyField }];
    // The endpoint policy names the bucket and its objects.
    expect(endpoint.policy?.document?.statements.flatMap((s) => s.resource ?? [])).toEqual([
      `arn:aws:s3:::${bucketName}`,
      `arn:aws:s3:::${bucketName}/*`,
    ]);
    const bucket = ofType(objects, "Bucket").find((b) => b.name?.value === bucketName);
    expect(bucket?.region?.value).toBe(endpoint.region?.value);
    expect(policyErrors(policy)).toEqual([]);
    const deny = policy.document?.statements.find((s) => s.effect === "Deny");
    expect(deny?.conditions.map((c) => [c.operator, c.key.toLowerCase(), c.values])).toEqual([
      ["StringNotEquals", "aws:sourcevpce", [endpoint.awsId]],
    ]);
  });

  it("violating.yaml carries the mistakes its header lists", () => {
    const objects = adaptExample(family, "violating.yaml");
    const endpoints = ofType(objects, "Endpoint").filter((e) => e.isS3);
    const associations = ofType(objects, "RouteTableAssociation");
    const policies = bucketPolicies(objects).map((p) => p.policy);
    const knownIds = new Set(endpoints.map((e) => e.awsId));
    const everyCondition = (key: string) => policies.flatMap((p) => conditionValues(p, key));

    const fullAccess = endpoints.filter(
      (e) =>
        e.policy === undefined ||
        e.policy.document?.statements.some((s) => s.effect === "Allow" && s.action?.includes("s3:*") && s.resource?.includes("*")),
    );
    expect(fullAccess.length).toBeGreaterThan(0);
    expect(endpoints.some((e) => e.endpointType.value === "Gateway" && routeTablesOf(e, associations) === 0)).toBe(true);
    expect(endpoints.some((e) => e.serviceNameRegion !== e.region?.value)).toBe(true);
    expect(endpoints.some((e) => ["ipv6", "dualstack"].includes(e.ipAddressType?.value ?? ""))).toBe(true);
    const objectActionOnBucketArn = endpoints.some((e) =>
      e.policy?.document?.statements.some(
        (s) => s.action?.every((a) => /Object$/.test(a)) && s.resource?.every((r) => /^arn:aws:s3:::[^/]+$/.test(r)),
      ),
    );
    expect(objectActionOnBucketArn).toBe(true);
    const sourceIps = everyCondition("aws:SourceIp");
    expect(sourceIps.some((cidr) => /^(10\.|172\.16\.|192\.168\.|100\.64\.)/.test(cidr))).toBe(true);
    const sourceVpces = everyCondition("aws:SourceVpce");
    expect(sourceVpces.some((v) => v.startsWith("arn:"))).toBe(true);
    expect(sourceVpces.some((v) => /^vpce-[0-9a-f]{17}$/.test(v) && !knownIds.has(v))).toBe(true);
    for (const policy of [...policies, ...endpoints.map((e) => e.policy)]) expect(policyErrors(policy)).toEqual([]);
  });
});
