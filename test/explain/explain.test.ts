import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../src/core/adapters/types.js";
import { defaultConfig } from "../../src/cli/config/schema.js";
import { fillInventory } from "../../src/core/adapters/inventory-adapter.js";
import { explain, ExplainInputError, type ActionExplanation, type ExplainQuery, type Explanation } from "../../src/app/explain/explain.js";
import { identityPoliciesFor, isIdentityKind, type IdentityPolicies } from "../../src/app/explain/identity.js";
import { parsePolicy } from "../../src/core/iam/index.js";
import { Inventory } from "../../src/core/inventory/inventory.js";
import {
  ackBucket,
  ackEndpoint,
  bucketGrant,
  communityBucket,
  communityBucketPolicy,
  communityEndpoint,
  denyUnlessEndpoint,
  namespace,
  upjetBucket,
  upjetBucketPolicy,
  upjetEndpoint,
} from "../helpers/manifests.js";

const ROLE = "arn:aws:iam::111122223333:role/payments-app";
const ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:ListBucket"];

function load(file: string): unknown[] {
  return parseAllDocuments(readFileSync(file, "utf8"))
    .map((d) => d.toJS() as unknown)
    .filter((o) => o !== null);
}

function run(objects: readonly unknown[], query: Partial<ExplainQuery> & { bucket: string }): Explanation {
  const inventory = new Inventory();
  fillInventory(
    objects.filter((o) => !isIdentityKind(o)).map((object) => ({ object })),
    inventory,
    defaultConfig(),
  );
  inventory.complete = true;
  return explain(inventory, { actions: ACTIONS, ...query });
}

function on(result: Explanation, endpoint: string, action: string): ActionExplanation {
  const path = result.paths.find((p) => p.endpoint.resource.endsWith(endpoint));
  const found = path?.actions.find((a) => a.action === action);
  if (!found) throw new Error(`no ${action} through ${endpoint}: ${JSON.stringify(result.paths.map((p) => p.endpoint.resource))}`);
  return found;
}

const identityFile = (policy: Record<string, unknown>): IdentityPolicies => {
  const text = JSON.stringify(policy);
  return {
    roleFound: false,
    missing: [],
    policies: [{ source: "app-policy.json", field: { ...parsePolicy(text, "endpoint"), path: "", text } }],
  };
};

describe("explain: the worked example (Upjet cluster-scoped, examples/explain)", () => {
  const objects = load("examples/explain/payments.yaml");

  it("tries every S3 endpoint of the bucket's Region and reports the free key as the condition", () => {
    const result = run(objects, { bucket: "acme-payments-data" });
    expect(result.paths.map((p) => p.endpoint.resource)).toEqual(["VPCEndpoint analytics-s3-gateway", "VPCEndpoint payments-s3-gateway"]);
    const get = on(result, "payments-s3-gateway", "s3:GetObject");
    expect(get.outcome).toBe("conditional");
    expect(get.conditions).toEqual(["aws:PrincipalOrgID = o-a1b2c3d4e5"]);
    expect(get.layers.map((l) => [l.layer, l.decision, l.passes])).toEqual([
      ["endpoint", "Allow", "sometimes"],
      ["bucket", "ImplicitDeny", "always"],
    ]);
    expect(get.layers[0]!.statements).toEqual([
      {
        sid: "PaymentsBucketForOurOrg",
        index: 0,
        effect: "Allow",
        path: "spec.forProvider.policy → Statement[0]",
        source: "VPCEndpoint payments-s3-gateway",
      },
    ]);
    expect(result.allowed).toBe(true);
  });

  it("allowed by the endpoint but not by the bucket: the bucket's Deny and the id to add to its condition", () => {
    const result = run(objects, { bucket: "acme-payments-data", endpoint: "vpce-0b2c3d4e5f6a78901", actions: ["s3:GetObject"] });
    const get = on(result, "analytics-s3-gateway", "s3:GetObject");
    expect(get.outcome).toBe("denied");
    expect(get.layers.map((l) => [l.layer, l.decision, l.passes])).toEqual([
      ["endpoint", "Allow", "always"],
      ["bucket", "ExplicitDeny", "never"],
    ]);
    expect(get.layers[1]!.statements[0]).toMatchObject({
      sid: "DenyUnlessThroughPaymentsEndpoint",
      path: "spec.forProvider.policy → Statement[0]",
    });
    expect(get.fixes).toEqual([
      expect.objectContaining({
        layer: "bucket",
        source: "BucketPolicy payments-data-endpoint-only",
        path: 'spec.forProvider.policy → Statement[0].Condition.StringNotEquals["aws:SourceVpce"]',
        change: expect.stringContaining('add "vpce-0b2c3d4e5f6a78901" to StringNotEquals aws:SourceVpce'),
      }),
    ]);
    expect(result.allowed).toBe(false);
  });

  it("an identity policy (Role inline + attached Policy) missing the action: denied, and the statement to extend", () => {
    const identity = identityPoliciesFor(ROLE, objects);
    expect(identity.roleFound).toBe(true);
    expect(identity.policies.map((p) => `${p.source} ${p.field.path}`)).toEqual([
      "Role payments-app spec.forProvider.inlinePolicy[0].policy",
      "Policy payments-list spec.forProvider.policy",
    ]);
    const result = run(objects, { bucket: "acme-payments-data", endpoint: "payments-s3-gateway", principal: ROLE, identity });
    expect(on(result, "payments-s3-gateway", "s3:GetObject").outcome).toBe("conditional");
    expect(on(result, "payments-s3-gateway", "s3:ListBucket").layers[2]!.statements[0]).toMatchObject({
      sid: "ListPayments",
      source: "Policy payments-list",
    });
    const put = on(result, "payments-s3-gateway", "s3:PutObject");
    expect(put.outcome).toBe("denied");
    expect(put.layers.find((l) => l.layer === "identity")!.passes).toBe("never");
    expect(put.fixes).toEqual([
      {
        layer: "identity",
        source: "Role payments-app",
        path: "spec.forProvider.inlinePolicy[0].policy → Statement[0].Action",
        change: 'Statement[0] (Sid ReadPayments): add "s3:PutObject" to Action',
      },
    ]);
    expect(result.allowed).toBe(false);
  });

  it("a region mismatch: an endpoint of another Region does not reach the bucket", () => {
    const result = run(objects, { bucket: "acme-payments-data", endpoint: "eu-s3-gateway", actions: ["s3:GetObject"] });
    const get = on(result, "eu-s3-gateway", "s3:GetObject");
    expect(get.outcome).toBe("denied");
    expect(get.notes[0]).toContain("reaches S3 in eu-west-1, the bucket is in us-east-1");
    expect(get.fixes[0]).toMatchObject({ layer: "endpoint", path: "spec.forProvider.region" });
    // Without --endpoint, only endpoints of the bucket's Region are tried.
    expect(run(objects, { bucket: "acme-payments-data" }).paths.some((p) => p.endpoint.region === "eu-west-1")).toBe(false);
  });

  it("a principal whose role is not in the inputs: said so, the identity layer is not evaluated", () => {
    const result = run(objects, {
      bucket: "acme-payments-data",
      principal: "arn:aws:iam::111122223333:role/nobody",
      actions: ["s3:GetObject"],
    });
    expect(result.notes).toContain(
      "no IAM Role or policy for arn:aws:iam::111122223333:role/nobody in the inputs: its identity policy is not evaluated",
    );
    expect(on(result, "payments-s3-gateway", "s3:GetObject").layers.map((l) => l.layer)).toEqual(["endpoint", "bucket"]);
  });

  it("unknown endpoints and VPCs are bad input", () => {
    expect(() => run(objects, { bucket: "acme-payments-data", endpoint: "vpce-0000000000000000f" })).toThrow(ExplainInputError);
    expect(() => run(objects, { bucket: "acme-payments-data", vpc: "vpc-00000000000000000" })).toThrow(/--vpc vpc-00000000000000000/);
  });
});

describe("explain: the guide's three layers must all allow", () => {
  const bucket = "acme-three";
  const endpointId = "vpce-0123456789abcdef0";
  const base = (endpointPolicy: Record<string, unknown> | undefined) => [
    upjetEndpoint({ name: "three", awsId: endpointId, policy: endpointPolicy }),
    upjetBucket({ name: "three", bucketName: bucket }),
    upjetBucketPolicy({ name: "three", bucket, policy: denyUnlessEndpoint(bucket, endpointId) }),
  ];
  const grant = (actions: string[]) =>
    identityFile({
      Version: "2012-10-17",
      Statement: [{ Sid: "App", Effect: "Allow", Action: actions, Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`] }],
    });

  it("all three allow: allowed for every request, exit-0 material", () => {
    const result = run(base(bucketGrant(bucket)), { bucket, principal: ROLE, identity: grant(ACTIONS) });
    for (const action of ACTIONS) expect(on(result, "three", action).outcome).toBe("allowed");
    expect(result.allowed).toBe(true);
  });

  it("allowed by the bucket but not by the endpoint: the endpoint statement to extend", () => {
    const result = run(base(bucketGrant("some-other-bucket")), { bucket, actions: ["s3:GetObject"] });
    const get = on(result, "three", "s3:GetObject");
    expect(get.outcome).toBe("denied");
    expect(get.layers.map((l) => [l.layer, l.passes])).toEqual([
      ["endpoint", "never"],
      ["bucket", "always"],
    ]);
    expect(get.fixes).toEqual([
      expect.objectContaining({
        layer: "endpoint",
        path: "spec.forProvider.policy → Statement[0].Resource",
        change: expect.stringContaining(`add "arn:aws:s3:::${bucket}/`),
      }),
    ]);
  });

  it("the identity policy given as a file decides alone when the other two allow", () => {
    const result = run(base(bucketGrant(bucket)), {
      bucket,
      principal: ROLE,
      identity: grant(["s3:GetObject"]),
      actions: ["s3:PutObject"],
    });
    const put = on(result, "three", "s3:PutObject");
    expect(put.outcome).toBe("denied");
    expect(put.fixes[0]).toMatchObject({
      layer: "identity",
      source: "app-policy.json",
      change: 'Statement[0] (Sid App): add "s3:PutObject" to Action',
    });
  });

  it("a Deny in the identity policy wins over both Allows", () => {
    const identity = identityFile({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: "s3:*", Resource: "*" },
        { Sid: "NoWrites", Effect: "Deny", Action: "s3:PutObject", Resource: "*" },
      ],
    });
    const put = on(
      run(base(bucketGrant(bucket)), { bucket, principal: ROLE, identity, actions: ["s3:PutObject"] }),
      "three",
      "s3:PutObject",
    );
    expect(put.outcome).toBe("denied");
    expect(put.fixes[0]).toMatchObject({
      layer: "identity",
      path: "Statement[1]",
      change: expect.stringContaining("(Sid NoWrites) denies s3:PutObject"),
    });
  });

  it("a key narrows the question to one object", () => {
    const endpointPolicy = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/public/*` }],
    };
    expect(on(run(base(endpointPolicy), { bucket, key: "public/a.txt", actions: ["s3:GetObject"] }), "three", "s3:GetObject").outcome).toBe(
      "allowed",
    );
    const secret = on(run(base(endpointPolicy), { bucket, key: "secret/a.txt", actions: ["s3:GetObject"] }), "three", "s3:GetObject");
    expect(secret.outcome).toBe("denied");
    expect(secret.resource).toBe(`arn:aws:s3:::${bucket}/secret/a.txt`);
  });
});

describe("explain: every family", () => {
  it("Upjet namespaced (.m) example: allowed through its endpoint", () => {
    const result = run(load("examples/upjet-namespaced/compliant.yaml"), { bucket: "acme-orders" });
    expect(result.paths.map((p) => p.endpoint.resource)).toEqual(
      ["VPCEndpoint team-orders/orders-s3-gateway"].map((r) => expect.stringContaining(r.split("/")[1]!)),
    );
    expect(result.allowed).toBe(true);
  });

  it("community example: allowed through its endpoint; another endpoint refused by the bucket's structured policy", () => {
    const objects = [
      ...load("examples/community/compliant.yaml"),
      communityEndpoint({ name: "other-s3", region: "eu-central-1", awsId: "vpce-0999999999999999a", vpcId: "vpc-0999999999999999a" }),
    ];
    const result = run(objects, { bucket: "acme-billing-reports", actions: ["s3:GetObject"] });
    expect(on(result, "billing-s3-gateway", "s3:GetObject").outcome).toBe("allowed");
    const other = on(result, "other-s3", "s3:GetObject");
    expect(other.outcome).toBe("denied");
    expect(other.layers[1]!.decision).toBe("ExplicitDeny");
    expect(result.allowed).toBe(true);
  });

  it("community BucketPolicy kind with a raw policy", () => {
    const objects = [
      communityEndpoint({ name: "c", awsId: "vpce-0aaaaaaaaaaaaaaa1", policy: bucketGrant("c-bucket", ["s3:GetObject"]) }),
      communityBucket({ name: "c-bucket" }),
      communityBucketPolicy({ name: "c", bucketName: "c-bucket", rawPolicy: denyUnlessEndpoint("c-bucket", "vpce-0aaaaaaaaaaaaaaa1") }),
    ];
    const result = run(objects, { bucket: "c-bucket", actions: ["s3:GetObject", "s3:PutObject"] });
    expect(on(result, "c", "s3:GetObject").outcome).toBe("allowed");
    expect(on(result, "c", "s3:PutObject").fixes[0]).toMatchObject({
      layer: "endpoint",
      change: expect.stringContaining('add "s3:PutObject" to Action'),
    });
  });

  it("ACK example, with an ACK Role whose inline policy and attached ACK Policy grant", () => {
    const role = {
      apiVersion: "iam.services.k8s.aws/v1alpha1",
      kind: "Role",
      metadata: { name: "ledger-app", namespace: "team-ledger" },
      spec: {
        name: "ledger-app",
        inlinePolicies: {
          read: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Sid: "Read", Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::acme-ledger/*" }],
          }),
        },
        policies: ["arn:aws:iam::111122223333:policy/ledger-list", "arn:aws:iam::aws:policy/ReadOnlyAccess"],
      },
      status: { ackResourceMetadata: { arn: "arn:aws:iam::111122223333:role/ledger-app" } },
    };
    const policy = {
      apiVersion: "iam.services.k8s.aws/v1alpha1",
      kind: "Policy",
      metadata: { name: "ledger-list", namespace: "team-ledger" },
      spec: {
        name: "ledger-list",
        policyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Sid: "List", Effect: "Allow", Action: "s3:ListBucket", Resource: "arn:aws:s3:::acme-ledger" }],
        }),
      },
    };
    const objects = [...load("examples/ack/compliant.yaml"), role, policy];
    const identity = identityPoliciesFor("arn:aws:iam::111122223333:role/ledger-app", objects);
    expect(identity.policies.map((p) => `${p.source} ${p.field.path}`)).toEqual([
      "Role team-ledger/ledger-app spec.inlinePolicies.read",
      "Policy team-ledger/ledger-list spec.policyDocument",
    ]);
    expect(identity.missing).toEqual(["arn:aws:iam::aws:policy/ReadOnlyAccess (attached by Role team-ledger/ledger-app)"]);
    const result = run(objects, { bucket: "acme-ledger", principal: "arn:aws:iam::111122223333:role/ledger-app", identity });
    expect(on(result, "ledger-s3-gateway", "s3:GetObject").outcome).not.toBe("denied");
    expect(on(result, "ledger-s3-gateway", "s3:ListBucket").outcome).not.toBe("denied");
    // PutObject: not granted by what the inputs hold, but an attached policy is missing: no claim.
    const put = on(result, "ledger-s3-gateway", "s3:PutObject");
    expect(put.outcome).toBe("unknown");
    expect(put.notes.join(" ")).toContain("ReadOnlyAccess");
  });

  it("ACK endpoint and bucket built from scratch: a bucket in another Region is not reached", () => {
    const objects: KubeObject[] = [
      namespace("team-a", "us-west-2"),
      ackEndpoint({ name: "west", region: "us-west-2", awsId: "vpce-0bbbbbbbbbbbbbbb2" }),
      ackBucket({ name: "east", bucketName: "acme-east", region: "us-east-1" }),
    ];
    const result = run(objects, { bucket: "acme-east", endpoint: "team-a/west", actions: ["s3:GetObject"] });
    expect(on(result, "west", "s3:GetObject").outcome).toBe("denied");
    expect(run(objects, { bucket: "acme-east" }).paths).toEqual([]);
  });
});

describe("identity adapters", () => {
  it("Upjet RolePolicy by role name and RolePolicyAttachment by ARN", () => {
    const objects = [
      {
        apiVersion: "iam.aws.upbound.io/v1beta1",
        kind: "Role",
        metadata: { name: "r", annotations: { "crossplane.io/external-name": "app" } },
        spec: { forProvider: {} },
      },
      {
        apiVersion: "iam.aws.upbound.io/v1beta1",
        kind: "RolePolicy",
        metadata: { name: "rp" },
        spec: {
          forProvider: {
            role: "app",
            policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}',
          },
        },
      },
      {
        apiVersion: "iam.aws.upbound.io/v1beta1",
        kind: "RolePolicyAttachment",
        metadata: { name: "a" },
        spec: { forProvider: { role: "app", policyArn: "arn:aws:iam::111122223333:policy/p" } },
      },
      {
        apiVersion: "iam.aws.upbound.io/v1beta1",
        kind: "RolePolicyAttachment",
        metadata: { name: "other" },
        spec: { forProvider: { role: "someone-else", policyArn: "arn:aws:iam::111122223333:policy/q" } },
      },
      {
        apiVersion: "iam.aws.upbound.io/v1beta1",
        kind: "Policy",
        metadata: { name: "p" },
        spec: {
          forProvider: { policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}' },
        },
      },
    ];
    const found = identityPoliciesFor("arn:aws:iam::111122223333:role/app", objects);
    expect(found.roleFound).toBe(true);
    expect(found.policies.map((p) => `${p.source} ${p.field.path}`)).toEqual([
      "RolePolicy rp spec.forProvider.policy",
      "Policy p spec.forProvider.policy",
    ]);
    expect(found.missing).toEqual([]);
  });

  it("IAM kinds are not watched kinds: check ignores them", () => {
    const inventory = new Inventory();
    const results = fillInventory(
      [{ object: { apiVersion: "iam.aws.upbound.io/v1beta1", kind: "Role", metadata: { name: "r" }, spec: {} } }],
      inventory,
      defaultConfig(),
    );
    expect(results[0]!.result.status).not.toBe("adapted");
    expect(inventory.size).toBe(0);
  });

  it("a role ARN that names no role in the inputs finds nothing", () => {
    expect(identityPoliciesFor("arn:aws:iam::111122223333:role/nobody", load("examples/explain/payments.yaml"))).toEqual({
      roleFound: false,
      policies: [],
      missing: [],
    });
    expect(identityPoliciesFor("not-an-arn", [])).toEqual({ roleFound: false, policies: [], missing: [] });
  });
});
