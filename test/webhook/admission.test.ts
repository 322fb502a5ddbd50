import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_FINDINGS_PER_RULE } from "../../src/core/engine/limits.js";
import { adapt } from "../../src/core/adapters/index.js";
import type { KubeObject } from "../../src/core/adapters/types.js";
import { adapterContext } from "../../src/core/adapters/inventory-adapter.js";
import { Inventory } from "../../src/core/inventory/inventory.js";
import type { Operation } from "../../src/core/model/types.js";
import {
  decide,
  limitWarnings,
  MAX_DENY_LINES,
  MAX_DENY_MESSAGE_LINES,
  MAX_WARNING_LENGTH,
  MAX_WARNINGS,
  parseAdmissionReview,
  shortLine,
  type AdmissionRequest,
} from "../../src/app/admission.js";
import { config } from "../helpers/check.js";
import {
  ackBucket,
  ackEndpoint,
  bucketGrant,
  communityBucketPolicy,
  communityEndpoint,
  denyUnlessEndpoint,
  namespace,
  overBudgetEndpoint,
  upjetBucketPolicy,
  upjetEndpoint,
  PRIVATE_SOURCE_IP_POLICY,
} from "../helpers/manifests.js";

const sourceIpPolicy = PRIVATE_SOURCE_IP_POLICY;

interface ReviewOptions {
  operation?: Operation;
  oldObject?: KubeObject;
  dryRun?: boolean;
  uid?: string;
}

/** The AdmissionReview body the API server sends for `object`. */
function admissionReview(object: KubeObject | null, options: ReviewOptions = {}): Record<string, unknown> {
  const operation = options.operation ?? "CREATE";
  const subject = object ?? options.oldObject!;
  const [group, version] = subject.apiVersion.includes("/") ? subject.apiVersion.split("/") : ["", subject.apiVersion];
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: options.uid ?? "705ab4f5-6393-11e8-b7cc-42010a800002",
      kind: { group, version, kind: subject.kind },
      resource: { group, version, resource: `${subject.kind.toLowerCase()}s` },
      requestKind: { group, version, kind: subject.kind },
      name: subject.metadata.name,
      ...(subject.metadata.namespace ? { namespace: subject.metadata.namespace } : {}),
      operation,
      userInfo: { username: "admin", groups: ["system:masters"] },
      object,
      oldObject: options.oldObject ?? null,
      dryRun: options.dryRun ?? false,
      options: { apiVersion: "meta.k8s.io/v1", kind: operation === "DELETE" ? "DeleteOptions" : "CreateOptions" },
    },
  };
}

function requestOf(body: unknown): AdmissionRequest {
  const parsed = parseAdmissionReview(body);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.request;
}

interface Setup {
  cluster?: KubeObject[];
  config?: Record<string, unknown>;
  inventoryComplete?: boolean;
  now?: Date;
}

function run(object: KubeObject | null, options: ReviewOptions = {}, setup: Setup = {}) {
  const cfg = config(setup.config);
  const inventory = new Inventory();
  const ctx = adapterContext(inventory, cfg);
  for (const o of setup.cluster ?? []) {
    const r = adapt(o, ctx);
    if (r.status === "adapted") inventory.upsert(r.object);
  }
  inventory.complete = setup.inventoryComplete ?? true;
  const before = [...inventory.all()];
  const result = decide(requestOf(admissionReview(object, options)), {
    config: cfg,
    inventory,
    inventoryComplete: inventory.complete,
    now: setup.now ?? new Date("2026-03-04T10:00:00Z"),
  });
  // Deciding never changes the inventory (the engine only overlays the object while rules run).
  expect([...inventory.all()]).toEqual(before);
  return result;
}

describe("parseAdmissionReview", () => {
  it("accepts a v1 AdmissionReview", () => {
    const request = requestOf(admissionReview(upjetEndpoint()));
    expect(request).toMatchObject({
      uid: "705ab4f5-6393-11e8-b7cc-42010a800002",
      operation: "CREATE",
      kind: { group: "ec2.aws.upbound.io", version: "v1beta2", kind: "VPCEndpoint" },
    });
  });

  it.each([
    [null, /JSON object/],
    [[1, 2], /JSON object/],
    [{ apiVersion: "admission.k8s.io/v1beta1", kind: "AdmissionReview", request: {} }, /admission\.k8s\.io\/v1.*admissionReviewVersions/],
    [{ apiVersion: "admission.k8s.io/v1", kind: "Pod" }, /kind AdmissionReview/],
    [{ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" }, /request is missing/],
    [
      {
        apiVersion: "admission.k8s.io/v1",
        kind: "AdmissionReview",
        request: { kind: { group: "", version: "v1", kind: "X" }, operation: "CREATE" },
      },
      /uid/,
    ],
    [{ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { uid: "u", operation: "CREATE" } }, /request\.kind/],
    [
      {
        apiVersion: "admission.k8s.io/v1",
        kind: "AdmissionReview",
        request: { uid: "u", kind: { group: "", version: "v1", kind: "X" }, operation: "PATCH" },
      },
      /operation must be one of/,
    ],
  ])("rejects %j with a message naming the field", (body, message) => {
    const parsed = parseAdmissionReview(body);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });
});

describe("decide", () => {
  it("denies a violating Upjet BucketPolicy with a 403 listing each deny finding with its path and fix", () => {
    const result = run(upjetBucketPolicy({ policy: sourceIpPolicy }));
    expect(result.decision).toBe("denied");
    const response = result.review.response;
    expect(response.uid).toBe("705ab4f5-6393-11e8-b7cc-42010a800002");
    expect(response.allowed).toBe(false);
    expect(response.status?.code).toBe(403);
    expect(response.status?.message).toContain("s3-vpce-guard denied BucketPolicy my-secure-bucket-policy");
    expect(response.status?.message).toContain(
      '[source-ip-condition] spec.forProvider.policy → Statement[0].Condition.IpAddress["aws:SourceIp"]',
    );
    expect(response.status?.message).toMatch(/Fix: .*aws:SourceVpc/);
    expect(result.review).toMatchObject({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" });
  });

  it("says a fix shared by several violations once, after them, and keeps a lone violation's fix on its line", () => {
    const grants = (count: number) => ({
      ...sourceIpPolicy,
      Statement: Array.from({ length: count }, (_, i) => ({
        ...sourceIpPolicy.Statement[0],
        Condition: { IpAddress: { "aws:SourceIp": `10.${i}.0.0/16` } },
      })),
    });
    const three = run(upjetBucketPolicy({ policy: grants(3) })).review.response.status?.message ?? "";
    const lines = three.split("\n");
    expect(lines).toHaveLength(1 + 3 + 1);
    expect(lines.slice(1, 4).every((line) => line.startsWith("[source-ip-condition] ") && !line.includes("Fix:"))).toBe(true);
    expect(lines.slice(1, 4).map((line) => /Statement\[(\d)\]/.exec(line)?.[1])).toEqual(["0", "1", "2"]);
    expect(lines[4]).toMatch(/^Fix \(the 3 violations above\): Use aws:SourceVpce/);

    const one = run(upjetBucketPolicy({ policy: grants(1) })).review.response.status?.message ?? "";
    expect(one.split("\n")).toHaveLength(2);
    expect(one.split("\n")[1]).toMatch(/^\[source-ip-condition\] .*Statement\[0\].* Fix: Use aws:SourceVpce/);

    const twelve = run(upjetBucketPolicy({ policy: grants(12) })).review.response.status?.message ?? "";
    const twelveLines = twelve.split("\n");
    expect(twelveLines[0]).toContain("(12 violations of");
    expect(twelveLines.filter((line) => line.startsWith("[source-ip-condition] "))).toHaveLength(MAX_DENY_LINES);
    expect(twelveLines.at(-2)).toMatch(/^Fix \(the 10 violations above\): /);
    expect(twelveLines.at(-1)).toMatch(/^… and 2 more; run "s3-vpce-guard check"/);
    expect(twelveLines.length).toBeLessThanOrEqual(MAX_DENY_MESSAGE_LINES);
  });

  it("denies in every family: community BucketPolicy, namespaced Upjet, ACK Bucket", () => {
    for (const object of [
      communityBucketPolicy({ rawPolicy: sourceIpPolicy }),
      upjetBucketPolicy({ policy: sourceIpPolicy, namespaced: true }),
      ackBucket({ policy: sourceIpPolicy }),
    ]) {
      const result = run(object);
      expect(result.decision, object.apiVersion).toBe("denied");
      expect(result.review.response.status?.message).toContain("[source-ip-condition]");
    }
  });

  it("admits a warn-only violation with one short warning line per warn finding", () => {
    const result = run(upjetEndpoint({ name: "open-endpoint" }), {
      operation: "UPDATE",
      oldObject: upjetEndpoint({ name: "open-endpoint" }),
    });
    expect(result.decision).toBe("warned");
    expect(result.review.response.allowed).toBe(true);
    expect(result.review.response.status).toBeUndefined();
    const warnings = result.review.response.warnings ?? [];
    expect(warnings.some((w) => w.startsWith("[endpoint-full-access] "))).toBe(true);
    for (const w of warnings) {
      expect(w.length).toBeLessThanOrEqual(MAX_WARNING_LENGTH);
      expect(w).not.toContain("\n");
      expect(w).not.toContain("→");
    }
  });

  it("allows a compliant endpoint with neither status nor warnings", () => {
    const object = communityEndpoint({ policy: bucketGrant("my-secure-bucket") });
    const result = run(object, { operation: "UPDATE", oldObject: object });
    expect(result.decision).toBe("allowed");
    expect(result.review.response).toEqual({ uid: "705ab4f5-6393-11e8-b7cc-42010a800002", allowed: true });
  });

  it("audit findings have no admission effect but are reported for metrics", () => {
    const result = run(
      upjetEndpoint(),
      { operation: "UPDATE", oldObject: upjetEndpoint() },
      { config: { rules: { "endpoint-full-access": { action: "audit" } } } },
    );
    expect(result.review.response.warnings ?? []).not.toContainEqual(expect.stringContaining("endpoint-full-access"));
    expect(result.findings).toContainEqual(expect.objectContaining({ rule: "endpoint-full-access", action: "audit" }));
  });

  it("takes rule actions from config", () => {
    const result = run(upjetEndpoint(), {}, { config: { rules: { "endpoint-full-access": { action: "deny" } } } });
    expect(result.decision).toBe("denied");
    expect(result.review.response.status?.message).toContain("[endpoint-full-access]");
  });

  it("honours namespace exemptions", () => {
    const object = upjetBucketPolicy({ policy: sourceIpPolicy, namespaced: true, namespace: "sandbox" });
    expect(run(object, {}, { config: { exemptions: [{ namespaces: ["sandbox"] }] } }).decision).toBe("allowed");
    expect(run(object, {}, { config: { exemptions: [{ namespaces: ["other"] }] } }).decision).toBe("denied");
  });

  it("honours the exemption annotation only when allowResourceExemptions is on", () => {
    const object = upjetBucketPolicy({ policy: sourceIpPolicy, annotations: { "s3-vpce-guard.io/exempt": "source-ip-condition" } });
    expect(run(object).decision).toBe("denied");
    expect(run(object, {}, { config: { allowResourceExemptions: true } }).decision).toBe("allowed");
  });

  it("warns about deleting an S3 gateway endpoint (object null, oldObject set)", () => {
    const result = run(null, { operation: "DELETE", oldObject: upjetEndpoint({ policy: bucketGrant("b") }) });
    expect(result.decision).toBe("warned");
    expect(result.review.response.warnings).toEqual([
      expect.stringMatching(/^\[endpoint-change-disruption\] spec: deleting this S3 Gateway endpoint/),
    ]);
  });

  it("denies deleting a gateway endpoint outside change windows unless acknowledged", () => {
    const windows = { changeWindows: [{ days: ["Sat"], start: "02:00", end: "06:00" }] };
    const old = upjetEndpoint({ policy: bucketGrant("b") });
    const denied = run(null, { operation: "DELETE", oldObject: old }, { config: windows });
    expect(denied.decision).toBe("denied");
    expect(denied.review.response.status?.message).toContain("[endpoint-change-disruption]");
    const acknowledged = upjetEndpoint({ policy: bucketGrant("b"), annotations: { "s3-vpce-guard.io/disruption-acknowledged": "true" } });
    expect(run(null, { operation: "DELETE", oldObject: acknowledged }, { config: windows }).decision).toBe("warned");
  });

  it("does not warn about an UPDATE that only changes tags", () => {
    const old = upjetEndpoint({ policy: bucketGrant("b") });
    const tagged = structuredClone(old);
    (tagged.spec as { forProvider: Record<string, unknown> }).forProvider.tags = { team: "a" };
    const result = run(tagged, { operation: "UPDATE", oldObject: old });
    expect(result.findings.filter((f) => f.rule === "endpoint-change-disruption")).toEqual([]);
  });

  it("warns about an UPDATE that moves the endpoint to another VPC", () => {
    const old = upjetEndpoint({ policy: bucketGrant("b") });
    const moved = upjetEndpoint({ policy: bucketGrant("b"), vpcId: "vpc-0fffffffffffffff0" });
    const result = run(moved, { operation: "UPDATE", oldObject: old });
    expect(result.review.response.warnings).toContainEqual(expect.stringMatching(/^\[endpoint-change-disruption\].*VPC/));
  });

  describe("an UPDATE of an object that already violated a deny rule", () => {
    const violating = () => upjetBucketPolicy({ policy: sourceIpPolicy });
    /** What a controller sends while the object is deleted: the same spec, its finalizer gone. */
    const finalizerRemoved = (old: KubeObject): KubeObject => ({
      ...old,
      metadata: { ...old.metadata, deletionTimestamp: "2026-03-04T09:59:00Z", finalizers: [] },
    });
    const secondGrantFrom = (cidr: string) => ({
      ...sourceIpPolicy,
      Statement: [...sourceIpPolicy.Statement, { ...sourceIpPolicy.Statement[0], Condition: { IpAddress: { "aws:SourceIp": cidr } } }],
    });

    it("is admitted with the old violation as a warning, so a finalizer can still be removed", () => {
      const old = { ...violating(), metadata: { ...violating().metadata, finalizers: ["finalizer.managedresource.crossplane.io"] } };
      expect(run(old).decision).toBe("denied");
      const result = run(finalizerRemoved(old), { operation: "UPDATE", oldObject: old });
      expect(result.decision).toBe("warned");
      expect(result.review.response.allowed).toBe(true);
      expect(result.review.response.status).toBeUndefined();
      expect(result.review.response.warnings).toContainEqual(
        expect.stringMatching(/^\[source-ip-condition\] not blocked, violated before this update: spec\.forProvider\.policy/),
      );
      // Metrics count what admission did with it.
      const sourceIp = result.findings.filter((f) => f.rule === "source-ip-condition");
      expect(sourceIp.length).toBeGreaterThan(0);
      expect(sourceIp.every((f) => f.action === "warn")).toBe(true);
    });

    it("is denied for a violation the update adds, naming only that one; the old one stays a warning", () => {
      const result = run(upjetBucketPolicy({ policy: secondGrantFrom("192.168.0.0/16") }), { operation: "UPDATE", oldObject: violating() });
      expect(result.decision).toBe("denied");
      const message = result.review.response.status?.message ?? "";
      expect(message).toContain("(1 violation of");
      expect(message).toContain("Statement[1]");
      expect(message).not.toContain("Statement[0]");
      expect(result.review.response.warnings).toContainEqual(
        expect.stringMatching(/not blocked, violated before this update: .*Statement\[0\]/),
      );
    });

    it("is denied when the old object complied", () => {
      const compliant = upjetBucketPolicy({ policy: bucketGrant("my-secure-bucket") });
      expect(run(compliant).decision).not.toBe("denied");
      expect(run(violating(), { operation: "UPDATE", oldObject: compliant }).decision).toBe("denied");
    });

    it("is denied as before with admission.allowExistingViolations: false", () => {
      const old = violating();
      const result = run(
        finalizerRemoved(old),
        { operation: "UPDATE", oldObject: old },
        { config: { admission: { allowExistingViolations: false } } },
      );
      expect(result.decision).toBe("denied");
      expect(result.review.response.status?.message).toContain("[source-ip-condition]");
    });

    it("is denied when a rule is over its finding cap: the count of the rest names no violation to match", () => {
      const many = {
        ...sourceIpPolicy,
        Statement: Array.from({ length: MAX_FINDINGS_PER_RULE + 2 }, (_, i) => ({
          ...sourceIpPolicy.Statement[0],
          Condition: { IpAddress: { "aws:SourceIp": `10.${i}.0.0/16` } },
        })),
      };
      const old = upjetBucketPolicy({ policy: many });
      const result = run(finalizerRemoved(old), { operation: "UPDATE", oldObject: old });
      expect(result.decision).toBe("denied");
      expect(result.review.response.status?.message).toMatch(
        /\(1 violation of .*\n\[source-ip-condition\] … and 2 more source-ip-condition findings/,
      );
      // The listed ones were there before, and say so.
      const warnings = result.review.response.warnings ?? [];
      expect(warnings).toHaveLength(MAX_FINDINGS_PER_RULE);
      expect(warnings.every((w) => w.startsWith("[source-ip-condition] not blocked, violated before this update"))).toBe(true);
    });

    it("is denied when the review ran out of its work limit with onExceeded: deny", () => {
      // Parsed within the limit; the rules run out of it, for the new object and the old alike.
      const old = overBudgetEndpoint();
      const limits = { limits: { workSteps: 200_000, onExceeded: "deny" } };
      const result = run(finalizerRemoved(old), { operation: "UPDATE", oldObject: old }, { config: limits });
      expect(result.decision).toBe("denied");
      expect(result.findings).toEqual([expect.objectContaining({ rule: "policy-invalid", action: "deny" })]);
      expect(result.findings[0]!.message).toMatch(/not checked: policy too complex .* \(ran out while (?!parsing)/);
    });

    it("never spares the admission-only rules, which judge the change itself", () => {
      const windows = { changeWindows: [{ days: ["Sat"], start: "02:00", end: "06:00" }] };
      const old = upjetEndpoint({ policy: bucketGrant("b") });
      const moved = upjetEndpoint({ policy: bucketGrant("b"), vpcId: "vpc-0fffffffffffffff0" });
      const result = run(moved, { operation: "UPDATE", oldObject: old }, { config: windows });
      expect(result.decision).toBe("denied");
      expect(result.review.response.status?.message).toContain("[endpoint-change-disruption]");
    });
  });

  it("answers a dryRun request exactly like the real one", () => {
    const object = upjetBucketPolicy({ policy: sourceIpPolicy });
    expect(run(object, { dryRun: true }).review).toEqual(run(object).review);
  });

  it("allows kinds it does not know, with no warnings", () => {
    const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "default" }, spec: {} };
    expect(run(pod).review.response).toEqual({ uid: "705ab4f5-6393-11e8-b7cc-42010a800002", allowed: true });
    const future = { ...upjetEndpoint(), apiVersion: "ec2.aws.upbound.io/v1beta9" };
    expect(run(future).review.response.warnings).toBeUndefined();
  });

  it("allows an invalid object of ours with a warning saying it was not checked", () => {
    const broken = { ...upjetBucketPolicy({ policy: sourceIpPolicy }), spec: "not-an-object" } as KubeObject;
    const result = run(broken);
    expect(result.review.response.allowed).toBe(true);
    expect(result.review.response.warnings).toEqual([expect.stringMatching(/^\[s3-vpce-guard\] not checked: spec must be an object/)]);
  });

  it("skips inventory-dependent rules until the first sync, then applies them", () => {
    // The bucket is in us-east-1, its policy requires an endpoint that the inventory knows in eu-west-1.
    const cluster = [communityEndpoint({ name: "eu", region: "eu-west-1", awsId: "vpce-0123456789abcdef0" })];
    const policy = upjetBucketPolicy({
      bucket: "my-secure-bucket",
      policy: denyUnlessEndpoint("my-secure-bucket", "vpce-0123456789abcdef0"),
    });
    const unknownId = upjetBucketPolicy({
      bucket: "my-secure-bucket",
      policy: denyUnlessEndpoint("my-secure-bucket", "vpce-0fedcba98765432f0"),
    });
    expect(
      run(unknownId, {}, { cluster, inventoryComplete: false }).findings.filter((f) => f.rule === "unknown-endpoint-reference"),
    ).toEqual([]);
    expect(
      run(unknownId, {}, { cluster, inventoryComplete: true }).findings.filter((f) => f.rule === "unknown-endpoint-reference"),
    ).not.toEqual([]);
    const synced = run(policy, {}, { cluster, inventoryComplete: true });
    expect(synced.decision).toBe("denied");
    expect(synced.review.response.status?.message).toContain("[cross-region]");
  });

  it("resolves an ACK object's region from its namespace in the inventory", () => {
    const endpoint = ackEndpoint({
      namespace: "team-eu",
      annotations: {},
      serviceName: "com.amazonaws.eu-west-1.s3",
      policy: bucketGrant("b"),
    });
    delete endpoint.metadata.annotations!["services.k8s.aws/region"];
    const inEu = run(endpoint, { operation: "UPDATE", oldObject: endpoint }, { cluster: [namespace("team-eu", "eu-west-1")] });
    expect(inEu.findings.filter((f) => f.rule === "cross-region")).toEqual([]);
    const inUs = run(endpoint, { operation: "UPDATE", oldObject: endpoint }, { cluster: [namespace("team-eu", "us-east-1")] });
    expect(inUs.findings.filter((f) => f.rule === "cross-region")).not.toEqual([]);
  });

  it("fills the namespace from the request when the object omits it", () => {
    const object = upjetBucketPolicy({ policy: sourceIpPolicy, namespaced: true, namespace: "sandbox" });
    const body = admissionReview(object) as { request: { object: KubeObject } };
    delete body.request.object.metadata.namespace;
    const result = decide(requestOf(body), {
      config: config({ exemptions: [{ namespaces: ["sandbox"] }] }),
      inventory: new Inventory(),
      inventoryComplete: false,
    });
    expect(result.decision).toBe("allowed");
  });

  it("allows CONNECT without review", () => {
    const body = admissionReview(upjetEndpoint(), { operation: "CONNECT" });
    expect(decide(requestOf(body), { config: config(), inventory: new Inventory(), inventoryComplete: true }).decision).toBe("allowed");
  });
});

describe("limitWarnings", () => {
  it("drops duplicates and caps the count with a last line saying how many were left out", () => {
    expect(limitWarnings(["a", "a", "b"])).toEqual(["a", "b"]);
    const many = Array.from({ length: 40 }, (_, i) => `w${i}`);
    const limited = limitWarnings(many);
    expect(limited).toHaveLength(MAX_WARNINGS);
    expect(limited.at(-1)).toMatch(/^\[s3-vpce-guard\] 16 more warnings; run "s3-vpce-guard check"/);
  });

  it("applies to a policy with many warn-level statements", () => {
    const statements = Array.from({ length: 60 }, (_, i) => ({
      Effect: "Allow",
      Principal: "*",
      Action: "s3:GetObject",
      Resource: `arn:aws:s3:::my-secure-bucket/p${i}/*`,
      Condition: { IpAddress: { "aws:SourceIp": "203.0.113.0/24" } },
    }));
    const result = run(upjetBucketPolicy({ policy: { Version: "2012-10-17", Statement: statements } }));
    expect(result.review.response.warnings!.length).toBeLessThanOrEqual(MAX_WARNINGS);
    // The engine keeps MAX_FINDINGS_PER_RULE per rule and counts the rest in one more finding.
    const warned = result.findings.filter((f) => f.action === "warn");
    expect(warned).toHaveLength(MAX_FINDINGS_PER_RULE + 1);
    expect(warned.at(-1)!.message).toMatch(/… and 40 more source-ip-condition findings \(only the first 20 are listed\)/);
    expect(result.review.response.warnings!.some((line) => line.includes("… and 40 more"))).toBe(true);
  });
});

describe("shortLine", () => {
  it("keeps short lines, makes ASCII arrows and one line", () => {
    expect(shortLine("a → b\n c")).toBe("a > b c");
  });

  it("truncates to 120 characters with an ellipsis", () => {
    const line = shortLine("x".repeat(300));
    expect(line).toHaveLength(MAX_WARNING_LENGTH);
    expect(line.endsWith("…")).toBe(true);
  });

  it("reads only as much of a text as the line shows, and answers as if it had read all of it", () => {
    // The definition: arrows made ASCII, whitespace runs one space, trimmed, then cut.
    const reference = (text: string, max: number) => {
      const line = text
        .replace(/\s*→\s*/g, " > ")
        .replace(/\s+/g, " ")
        .trim();
      return line.length <= max ? line : `${line.slice(0, max - 1).trimEnd()}…`;
    };
    const piece = fc.oneof(
      fc.constantFrom("x", "yz", " ", "  ", "\n", "\t", "\u000b", "\u00a0", "\u2028", "\u3000", "\ufeff", "\u180e", "→", " → ", "é", "😀"),
      fc.constantFrom(" ".repeat(200), "\n".repeat(500), "a".repeat(300)),
      fc.string({ unit: "grapheme", maxLength: 5 }),
      fc.integer({ min: 0, max: 0x3100 }).map((code) => String.fromCharCode(code)),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 400 }), fc.integer({ min: 5, max: 150 }), (pieces, max) => {
        const text = pieces.join("");
        expect(shortLine(text, max)).toBe(reference(text, max));
      }),
      { numRuns: 5000 },
    );
  });
});
