import { describe, expect, it } from "vitest";
import { evaluatePolicies, evaluatePolicy, parsePolicy, statementMatches } from "../../src/core/iam/index.js";
import type { AccessRequest, RequestPrincipal } from "../../src/core/iam/index.js";
import { decide, documentOf, errorsOf, OBJECT_ARN } from "./helpers.js";

const ALICE: RequestPrincipal = { type: "AWS", id: "arn:aws:iam::123456789012:user/alice" };
const OTHER_ACCOUNT_USER: RequestPrincipal = { type: "AWS", id: "arn:aws:iam::210987654321:user/mallory" };

function statementPolicy(statement: Record<string, unknown>, kind: "bucket" | "endpoint" = "endpoint") {
  return documentOf(
    { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:*", Resource: "*", ...statement }] },
    kind,
  );
}

describe("decision", () => {
  const allowAndDeny = documentOf({
    Version: "2012-10-17",
    Statement: [
      { Sid: "allow", Effect: "Allow", Principal: "*", Action: "s3:*", Resource: "*" },
      { Sid: "deny", Effect: "Deny", Principal: "*", Action: "s3:DeleteObject", Resource: "*" },
    ],
  });

  it("an explicit Deny wins over an Allow", () => {
    expect(evaluatePolicy({ action: "s3:DeleteObject", resource: OBJECT_ARN }, allowAndDeny)).toEqual({
      decision: "ExplicitDeny",
      matched: [
        { index: 0, effect: "Allow", path: "Statement[0]" },
        { index: 1, effect: "Deny", path: "Statement[1]" },
      ],
    });
    expect(decide(allowAndDeny, { action: "s3:GetObject" })).toBe("Allow");
  });

  it("is an implicit deny when nothing matches", () => {
    expect(evaluatePolicy({ action: "ec2:RunInstances", resource: OBJECT_ARN }, allowAndDeny)).toEqual({
      decision: "ImplicitDeny",
      matched: [],
    });
  });

  it("combines several policies: a Deny in one beats an Allow in another", () => {
    const allowAll = statementPolicy({});
    const denyAll = statementPolicy({ Effect: "Deny" });
    expect(evaluatePolicies({ action: "s3:GetObject", resource: OBJECT_ARN }, [allowAll, denyAll]).decision).toBe("ExplicitDeny");
    expect(evaluatePolicies({ action: "s3:GetObject", resource: OBJECT_ARN }, [allowAll]).decision).toBe("Allow");
    expect(evaluatePolicies({ action: "s3:GetObject", resource: OBJECT_ARN }, []).decision).toBe("ImplicitDeny");
  });
});

describe("Action, Resource and their negations", () => {
  it("matches actions case-insensitively with wildcards", () => {
    const policy = statementPolicy({ Action: ["s3:Get*", "s3:ListBucket"] });
    expect(decide(policy, { action: "S3:GETOBJECT" })).toBe("Allow");
    expect(decide(policy, { action: "s3:listbucket" })).toBe("Allow");
    expect(decide(policy, { action: "s3:PutObject" })).toBe("ImplicitDeny");
  });

  it("NotAction matches every action it does not list", () => {
    const policy = statementPolicy({ Action: undefined, NotAction: ["s3:Delete*"] });
    expect(decide(policy, { action: "s3:GetObject" })).toBe("Allow");
    expect(decide(policy, { action: "s3:DeleteObject" })).toBe("ImplicitDeny");
  });

  it("matches resources case-sensitively with wildcards", () => {
    const policy = statementPolicy({ Resource: ["arn:aws:s3:::my-bucket", "arn:aws:s3:::my-bucket/photos/*"] });
    expect(decide(policy, { resource: "arn:aws:s3:::my-bucket" })).toBe("Allow");
    expect(decide(policy, { resource: OBJECT_ARN })).toBe("Allow");
    expect(decide(policy, { resource: "arn:aws:s3:::my-bucket/Photos/cat.jpg" })).toBe("ImplicitDeny");
    expect(decide(policy, { resource: "arn:aws:s3:::my-bucket-2/photos/cat.jpg" })).toBe("ImplicitDeny");
  });

  it("NotResource matches every resource it does not list", () => {
    const policy = statementPolicy({
      Effect: "Deny",
      Resource: undefined,
      NotResource: ["arn:aws:s3:::my-bucket", "arn:aws:s3:::my-bucket/*"],
    });
    expect(decide(policy, { resource: OBJECT_ARN })).toBe("ImplicitDeny");
    expect(decide(policy, { resource: "arn:aws:s3:::elsewhere/x" })).toBe("ExplicitDeny");
  });

  it("a statement without Action/NotAction or Resource/NotResource matches nothing", () => {
    const parsed = parsePolicy(
      {
        Statement: [
          { Effect: "Deny", Principal: "*", Resource: "*" },
          { Effect: "Deny", Principal: "*", Action: "*" },
        ],
      },
      "bucket",
    );
    expect(errorsOf(parsed)).toHaveLength(2);
    expect(decide(parsed.document!)).toBe("ImplicitDeny");
  });
});

describe("principals", () => {
  const byAccount = statementPolicy({ Principal: { AWS: "123456789012" } }, "bucket");
  const byRoot = statementPolicy({ Principal: { AWS: "arn:aws:iam::123456789012:root" } }, "bucket");
  const byRole = statementPolicy({ Principal: { AWS: "arn:aws:iam::123456789012:role/path/app" } }, "bucket");
  const byService = statementPolicy({ Principal: { Service: "cloudtrail.amazonaws.com" } }, "bucket");

  it('"*" matches everyone, anonymous callers included', () => {
    const everyone = statementPolicy({ Principal: "*" }, "bucket");
    for (const principal of [
      ALICE,
      OTHER_ACCOUNT_USER,
      { type: "Anonymous" } as const,
      { type: "Service", id: "logging.s3.amazonaws.com" } as const,
    ]) {
      expect(decide(everyone, { principal })).toBe("Allow");
    }
  });

  it("an account id or its root ARN matches every principal of that account", () => {
    for (const policy of [byAccount, byRoot]) {
      expect(decide(policy, { principal: ALICE })).toBe("Allow");
      expect(decide(policy, { principal: { type: "AWS", id: "arn:aws:sts::123456789012:assumed-role/app/session" } })).toBe("Allow");
      expect(decide(policy, { principal: { type: "AWS", id: "arn:aws:iam::123456789012:root" } })).toBe("Allow");
      expect(decide(policy, { principal: { type: "AWS", id: "123456789012" } })).toBe("Allow");
      expect(decide(policy, { principal: OTHER_ACCOUNT_USER })).toBe("ImplicitDeny");
      expect(decide(policy, { principal: { type: "Anonymous" } })).toBe("ImplicitDeny");
    }
  });

  it("a principal ARN matches itself and, for a role, its sessions", () => {
    expect(decide(byRole, { principal: { type: "AWS", id: "arn:aws:iam::123456789012:role/path/app" } })).toBe("Allow");
    expect(decide(byRole, { principal: { type: "AWS", id: "arn:aws:sts::123456789012:assumed-role/app/build-42" } })).toBe("Allow");
    expect(decide(byRole, { principal: { type: "AWS", id: "arn:aws:sts::123456789012:assumed-role/other/build-42" } })).toBe(
      "ImplicitDeny",
    );
    expect(decide(byRole, { principal: ALICE })).toBe("ImplicitDeny");
  });

  it("a Service principal matches that service only", () => {
    expect(decide(byService, { principal: { type: "Service", id: "cloudtrail.amazonaws.com" } })).toBe("Allow");
    expect(decide(byService, { principal: { type: "Service", id: "config.amazonaws.com" } })).toBe("ImplicitDeny");
    expect(decide(byService, { principal: ALICE })).toBe("ImplicitDeny");
  });

  it("NotPrincipal applies to everyone it does not name", () => {
    const policy = documentOf({
      Statement: [
        { Effect: "Allow", Principal: "*", Action: "s3:*", Resource: "*" },
        { Effect: "Deny", NotPrincipal: { AWS: "arn:aws:iam::123456789012:user/alice" }, Action: "s3:*", Resource: "*" },
      ],
    });
    expect(decide(policy, { principal: ALICE })).toBe("Allow");
    expect(decide(policy, { principal: OTHER_ACCOUNT_USER })).toBe("ExplicitDeny");
    expect(decide(policy, { principal: { type: "Anonymous" } })).toBe("ExplicitDeny");
  });

  describe("without a request principal (may SOME principal do this?)", () => {
    it("an Allow with any Principal or NotPrincipal matches", () => {
      expect(decide(byRole)).toBe("Allow");
      expect(decide(statementPolicy({ Principal: undefined, NotPrincipal: { AWS: "123456789012" } }))).toBe("Allow");
    });

    it('a Deny applies only when its Principal is "*"', () => {
      expect(decide(statementPolicy({ Effect: "Deny", Principal: "*" }))).toBe("ExplicitDeny");
      expect(decide(statementPolicy({ Effect: "Deny", Principal: { AWS: "*" } }))).toBe("ExplicitDeny");
      expect(decide(statementPolicy({ Effect: "Deny", Principal: { AWS: "123456789012" } }))).toBe("ImplicitDeny");
    });

    it("a Deny with NotPrincipal never applies", () => {
      expect(decide(statementPolicy({ Effect: "Deny", Principal: undefined, NotPrincipal: { AWS: "123456789012" } }))).toBe("ImplicitDeny");
    });

    it("a statement without any principal element applies to everyone", () => {
      expect(decide(statementPolicy({ Effect: "Deny", Principal: undefined }))).toBe("ExplicitDeny");
    });
  });
});

describe("statementMatches", () => {
  it("answers for a single statement", () => {
    const policy = documentOf({
      Statement: [
        { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" },
        { Effect: "Allow", Principal: "*", Action: "s3:PutObject", Resource: "*" },
      ],
    });
    const request: AccessRequest = { action: "s3:PutObject", resource: OBJECT_ARN };
    expect(policy.statements.map((statement) => statementMatches(statement, request))).toEqual([false, true]);
  });

  it("answers the same for a statement compiled long ago (its compiled form evicted by thousands of others)", () => {
    const statementFor = (i: number) =>
      documentOf({ Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::bucket-${i}/*` }] })
        .statements[0]!;
    const first = statementFor(0);
    const request = (i: number): AccessRequest => ({ action: "s3:GetObject", resource: `arn:aws:s3:::bucket-${i}/key` });
    expect(statementMatches(first, request(0))).toBe(true);
    for (let i = 1; i <= 5000; i++) expect(statementMatches(statementFor(i), request(i === 1 ? 2 : i))).toBe(i !== 1);
    expect(statementMatches(first, request(0))).toBe(true);
    expect(statementMatches(first, request(1))).toBe(false);
  });
});

/**
 * The four example policies of the guide "Endpoints for Amazon S3" (two endpoint policies and
 * two bucket policies), as JSON.
 */
describe("the guide's example policies", () => {
  const SPECIFIC_BUCKET = `{
  "Statement": [
    {
      "Sid": "Access-to-specific-bucket-only",
      "Principal": "*",
      "Action": [
        "s3:GetObject",
        "s3:PutObject"
      ],
      "Effect": "Allow",
      "Resource": ["arn:aws:s3:::my_secure_bucket",
                   "arn:aws:s3:::my_secure_bucket/*"]
    }
  ]
}\t\t`;
  const AMAZON_LINUX = `{ "Statement": [ { "Sid": "AmazonLinuxAMIRepositoryAccess", "Principal": "*", "Action": [ "s3:GetObject" ], "Effect": "Allow", "Resource": [ "arn:aws:s3:::packages.*.amazonaws.com/*", "arn:aws:s3:::repo.*.amazonaws.com/*" ] } ] }`;
  const SPECIFIC_ENDPOINT = `{ "Version": "2012-10-17", "Id": "Policy1415115909152", "Statement": [ { "Sid": "Access-to-specific-VPCE-only", "Principal": "*", "Action": "s3:*", "Effect": "Deny", "Resource": ["arn:aws:s3:::my_secure_bucket", "arn:aws:s3:::my_secure_bucket/*"], "Condition": { "StringNotEquals": { "aws:sourceVpce": "vpce-1a2b3c4d" } } } ] }`;
  const SPECIFIC_VPC = `{ "Version": "2012-10-17", "Id": "Policy1415115909152", "Statement": [ { "Sid": "Access-to-specific-VPC-only", "Principal": "*", "Action": "s3:*", "Effect": "Deny", "Resource": ["arn:aws:s3:::my_secure_bucket", "arn:aws:s3:::my_secure_bucket/*"], "Condition": { "StringNotEquals": { "aws:sourceVpc": "vpc-111bbb22" } } } ] }`;

  it.each([
    ["specific bucket", SPECIFIC_BUCKET, "endpoint"],
    ["Amazon Linux repositories", AMAZON_LINUX, "endpoint"],
    ["specific endpoint", SPECIFIC_ENDPOINT, "bucket"],
    ["specific VPC", SPECIFIC_VPC, "bucket"],
  ] as const)("%s parses without issues", (_name, text, kind) => {
    const parsed = parsePolicy(text, kind);
    expect(parsed.issues).toEqual([]);
    expect(parsed.document?.statements).toHaveLength(1);
  });

  it("the bucket-restricted endpoint policy admits only my_secure_bucket", () => {
    const policy = documentOf(SPECIFIC_BUCKET, "endpoint");
    expect(decide(policy, { action: "s3:GetObject", resource: "arn:aws:s3:::my_secure_bucket/report.csv" })).toBe("Allow");
    expect(decide(policy, { action: "s3:PutObject", resource: "arn:aws:s3:::my_secure_bucket/report.csv" })).toBe("Allow");
    expect(decide(policy, { action: "s3:DeleteObject", resource: "arn:aws:s3:::my_secure_bucket/report.csv" })).toBe("ImplicitDeny");
    expect(decide(policy, { action: "s3:GetObject", resource: "arn:aws:s3:::other_bucket/report.csv" })).toBe("ImplicitDeny");
  });

  it("the Amazon Linux endpoint policy admits the regional repository buckets", () => {
    const policy = documentOf(AMAZON_LINUX, "endpoint");
    expect(decide(policy, { resource: "arn:aws:s3:::packages.us-west-2.amazonaws.com/2018.03/main/mirror.list" })).toBe("Allow");
    expect(decide(policy, { resource: "arn:aws:s3:::repo.eu-west-1.amazonaws.com/latest/updates/repomd.xml" })).toBe("Allow");
    expect(decide(policy, { action: "s3:PutObject", resource: "arn:aws:s3:::repo.eu-west-1.amazonaws.com/x" })).toBe("ImplicitDeny");
    expect(decide(policy, { resource: "arn:aws:s3:::my-bucket/x" })).toBe("ImplicitDeny");
  });

  it("the endpoint-restricted bucket policy denies everything but vpce-1a2b3c4d", () => {
    const policy = documentOf(SPECIFIC_ENDPOINT);
    const request = { action: "s3:GetObject", resource: "arn:aws:s3:::my_secure_bucket/report.csv" };
    expect(decide(policy, { ...request, context: { "aws:SourceVpce": "vpce-1a2b3c4d" } })).toBe("ImplicitDeny");
    expect(decide(policy, { ...request, context: { "aws:SourceVpce": "vpce-99999999" } })).toBe("ExplicitDeny");
    expect(decide(policy, { ...request, context: {} })).toBe("ExplicitDeny");
    expect(decide(policy, { ...request, principal: ALICE, context: { "aws:SourceVpce": "vpce-1a2b3c4d" } })).toBe("ImplicitDeny");
    expect(decide(policy, { ...request, resource: "arn:aws:s3:::my_secure_bucket", action: "s3:ListBucket" })).toBe("ExplicitDeny");
    expect(decide(policy, { ...request, resource: "arn:aws:s3:::other_bucket/x" })).toBe("ImplicitDeny");
  });

  it("the VPC-restricted bucket policy denies everything but vpc-111bbb22", () => {
    const policy = documentOf(SPECIFIC_VPC);
    const request = { action: "s3:PutObject", resource: "arn:aws:s3:::my_secure_bucket/upload.bin" };
    expect(decide(policy, { ...request, context: { "aws:SourceVpc": "vpc-111bbb22", "aws:SourceVpce": "vpce-1a2b3c4d" } })).toBe(
      "ImplicitDeny",
    );
    expect(decide(policy, { ...request, context: { "aws:SourceVpc": "vpc-222ccc33" } })).toBe("ExplicitDeny");
    expect(decide(policy, request)).toBe("ExplicitDeny");
  });

  it("through an endpoint, Deny + NotIpAddress denies all traffic and Deny + IpAddress denies none", () => {
    const denyUnless = statementPolicy({ Effect: "Deny", Condition: { NotIpAddress: { "aws:SourceIp": "203.0.113.0/24" } } }, "bucket");
    const denyFrom = statementPolicy({ Effect: "Deny", Condition: { IpAddress: { "aws:SourceIp": "203.0.113.0/24" } } }, "bucket");
    // Through an endpoint S3 sees a private source address.
    const viaEndpoint = { context: { "aws:SourceIp": "10.0.1.25", "aws:SourceVpce": "vpce-1a2b3c4d" } };
    expect(decide(denyUnless, viaEndpoint)).toBe("ExplicitDeny");
    expect(decide(denyFrom, viaEndpoint)).toBe("ImplicitDeny");
  });
});
