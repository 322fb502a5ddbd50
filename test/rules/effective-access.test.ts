import { describe, expect, it } from "vitest";
import { check } from "../helpers/check.js";
import {
  ackBucket,
  ackEndpoint,
  bucketGrant,
  denyUnlessEndpoint,
  upjetBucket,
  upjetBucketPolicy,
  upjetEndpoint,
} from "../helpers/manifests.js";
import type { KubeObject } from "../../src/core/adapters/types.js";
import { adapt } from "../../src/core/adapters/index.js";
import { adapterContext, fillInventory } from "../../src/core/adapters/inventory-adapter.js";
import { review } from "../../src/core/engine/engine.js";
import { Inventory } from "../../src/core/inventory/inventory.js";
import { checkOneRuleSpending, config } from "../helpers/check.js";

const rule = "effective-access" as const;
const VPCE = "vpce-0a1b2c3d4e5f67890";

describe("effective-access", () => {
  it.each([
    ["", false],
    [" and an organisation guard", true],
  ])("decides an endpoint of one grant per team against buckets of one grant per team%s", (_, orgGuard) => {
    // 20 buckets, each: Deny unless this endpoint, then a grant per team (its role, its prefix);
    // the endpoint grants each team its prefix in one bucket. A request is let through both
    // only as that team, to that prefix: the plain seeds (a stranger, the first role named)
    // miss it, and the search over roles × prefixes ran out of budget on every pair.
    const teams = 60;
    const cluster: KubeObject[] = [];
    for (let b = 0; b < 20; b++) {
      const bucket = `team-bucket-${b}`;
      const policy = denyUnlessEndpoint(bucket, VPCE) as { Statement: object[] };
      // Members of one organisation only: a seed must come from inside it.
      if (orgGuard)
        policy.Statement.push({
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
          Condition: { StringNotEquals: { "aws:PrincipalOrgID": "o-abc123def4" } },
        });
      for (let j = 0; j < 40; j++)
        policy.Statement.push({
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::123456789012:role/team-${j}` },
          Action: ["s3:GetObject", "s3:PutObject"],
          Resource: `arn:aws:s3:::${bucket}/team-${j}/*`,
          Condition: { StringEquals: { "aws:SourceVpce": VPCE } },
        });
      cluster.push(upjetBucket({ name: bucket }), upjetBucketPolicy({ name: `${bucket}-policy`, bucket, policy }));
    }
    const grants = Array.from({ length: teams }, (_, j) => ({
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::123456789012:role/team-${j}` },
      Action: ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
      Resource: [`arn:aws:s3:::team-bucket-${j % 20}`, `arn:aws:s3:::team-bucket-${j % 20}/team-${j}/*`],
    }));
    const cfg = config();
    const inventory = new Inventory();
    fillInventory(
      cluster.map((object) => ({ object })),
      inventory,
      cfg,
    );
    const endpoint = adapt(
      upjetEndpoint({ awsId: VPCE, policy: { Version: "2012-10-17", Statement: grants } }),
      adapterContext(inventory, cfg),
    );
    if (endpoint.status !== "adapted") throw new Error("endpoint not adapted");
    const undecided: string[] = [];
    const findings = review(
      { subject: endpoint.object, operation: "CREATE", mode: "admission", inventoryComplete: true },
      { config: cfg, inventory, onUndecided: (r) => undecided.push(r) },
    );
    expect(undecided).toEqual([]);
    expect(findings.filter((f) => f.rule === rule)).toEqual([]);
  });

  it("passes when the endpoint grants the bucket that admits only it", () => {
    const objects = [
      upjetEndpoint({ awsId: VPCE, policy: bucketGrant("my-secure-bucket") }),
      upjetBucket({}),
      upjetBucketPolicy({ policy: denyUnlessEndpoint("my-secure-bucket", VPCE) }),
    ];
    expect(check(objects, {}, rule)).toEqual([]);
  });

  it("warns when the bucket admits only an endpoint whose policy does not grant it", () => {
    const objects = [
      upjetEndpoint({ awsId: VPCE, policy: bucketGrant("some-other-bucket") }),
      upjetBucket({}),
      upjetBucketPolicy({ policy: denyUnlessEndpoint("my-secure-bucket", VPCE) }),
    ];
    const findings = check(objects, {}, rule);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.resource.kind).toBe("BucketPolicy");
    expect(findings[0]!.message).toContain("s3:GetObject, s3:PutObject, s3:ListBucket");
  });

  it("lists only the probe actions that are missing, and honours config probeActions", () => {
    const objects = [
      ackEndpoint({ awsId: VPCE, policy: bucketGrant("my-secure-bucket", ["s3:GetObject", "s3:ListBucket"]) }),
      ackBucket({ policy: denyUnlessEndpoint("my-secure-bucket", VPCE) }),
    ];
    const findings = check(objects, {}, rule);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toContain("does not allow s3:PutObject on");
    expect(check(objects, { probeActions: ["s3:GetObject"] }, rule)).toEqual([]);
  });

  it("checks every S3 endpoint of an admitted VPC", () => {
    const objects = [
      ackEndpoint({ name: "a", awsId: VPCE, vpcId: "vpc-111bbb22", policy: bucketGrant("elsewhere") }),
      ackBucket({ policy: denyUnlessEndpoint("my-secure-bucket", "vpc-111bbb22", "aws:SourceVpc") }),
    ];
    expect(check(objects, {}, rule)).toHaveLength(1);
    const withGoodEndpoint = [
      ...objects,
      ackEndpoint({ name: "b", awsId: "vpce-1a2b3c4d", vpcId: "vpc-111bbb22", policy: bucketGrant("my-secure-bucket") }),
    ];
    expect(check(withGoodEndpoint, {}, rule)).toEqual([]);
  });

  it("warns on an endpoint that grants a bucket whose policy denies that endpoint", () => {
    const objects = [
      upjetEndpoint({ awsId: VPCE, policy: bucketGrant("my-secure-bucket") }),
      upjetBucket({}),
      upjetBucketPolicy({ policy: denyUnlessEndpoint("my-secure-bucket", "vpce-1a2b3c4d") }),
    ];
    const findings = check(objects, {}, rule);
    expect(findings.filter((f) => f.resource.kind === "VPCEndpoint")).toHaveLength(1);
    expect(findings.find((f) => f.resource.kind === "VPCEndpoint")!.message).toContain("denies");
  });

  it("answers kept from an earlier review are reused only for the very same policies", () => {
    const endpoint = upjetEndpoint({ awsId: VPCE, policy: bucketGrant("some-other-bucket") });
    const admitting = [endpoint, upjetBucket({}), upjetBucketPolicy({ policy: denyUnlessEndpoint("my-secure-bucket", VPCE) })];
    const first = check(admitting, {}, rule);
    expect(first).toHaveLength(1);
    expect(check(admitting, {}, rule)).toEqual(first);
    // Same endpoint and bucket (the same question's space), but the bucket policy now also denies
    // everything: it blocks the endpoint on purpose, which is not this rule's finding.
    const denyAll = {
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: ["arn:aws:s3:::my-secure-bucket", "arn:aws:s3:::my-secure-bucket/*"],
    };
    const blocking = denyUnlessEndpoint("my-secure-bucket", VPCE) as { Statement: unknown[] };
    blocking.Statement.push(denyAll);
    const closed = [endpoint, upjetBucket({}), upjetBucketPolicy({ policy: blocking })];
    expect(check(closed, {}, rule)).toEqual([]);
    // And the endpoint side: a grant that the bucket now lets through has no finding.
    const granting = upjetEndpoint({ awsId: VPCE, policy: bucketGrant("my-secure-bucket") });
    expect(check([granting, ...admitting.slice(1)], {}, rule)).toEqual([]);
    expect(check(admitting, {}, rule)).toEqual(first);
  });

  it("treats a missing endpoint policy as the default full access", () => {
    const objects = [
      upjetEndpoint({ awsId: VPCE }),
      upjetBucket({}),
      upjetBucketPolicy({ policy: denyUnlessEndpoint("my-secure-bucket", VPCE) }),
    ];
    expect(check(objects, {}, rule)).toEqual([]);
  });

  describe("free keys stay free (every request, not one probe)", () => {
    const grantWhen = (condition: Record<string, unknown>) => ({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: "*",
          Action: "s3:*",
          Resource: ["arn:aws:s3:::my-secure-bucket", "arn:aws:s3:::my-secure-bucket/*"],
          Condition: condition,
        },
      ],
    });
    it.each([
      ["aws:PrincipalOrgID", { StringEquals: { "aws:PrincipalOrgID": "o-abc123" } }],
      ["aws:ResourceAccount", { StringEquals: { "aws:ResourceAccount": "111122223333" } }],
      ["a principal tag", { StringEquals: { "aws:PrincipalTag/team": "data" } }],
    ])("an endpoint policy limited to %s still lets those principals through: not unreachable", (_name, condition) => {
      for (const endpoint of [
        upjetEndpoint({ awsId: VPCE, policy: grantWhen(condition) }),
        ackEndpoint({ awsId: VPCE, policy: grantWhen(condition) }),
      ]) {
        expect(check([endpoint, ackBucket({ policy: denyUnlessEndpoint("my-secure-bucket", VPCE) })], {}, rule)).toEqual([]);
      }
    });

    it("a bucket Deny on StringNotEquals aws:PrincipalOrgID does not deny the endpoint's traffic for every request", () => {
      const bucketPolicy = {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: ["arn:aws:s3:::my-secure-bucket", "arn:aws:s3:::my-secure-bucket/*"],
            Condition: { StringNotEquals: { "aws:PrincipalOrgID": "o-abc123" } },
          },
        ],
      };
      expect(
        check(
          [
            upjetEndpoint({ awsId: VPCE, policy: bucketGrant("my-secure-bucket") }),
            upjetBucket({}),
            upjetBucketPolicy({ policy: bucketPolicy }),
          ],
          {},
          rule,
        ),
      ).toEqual([]);
    });

    it("an endpoint whose VPC is an unresolved reference makes no claim about aws:SourceVpc", () => {
      const endpoint = upjetEndpoint({
        awsId: VPCE,
        policy: grantWhen({ StringEquals: { "aws:SourceVpc": "vpc-111bbb22" } }),
      }) as KubeObject & { spec: { forProvider: Record<string, unknown> } };
      delete endpoint.spec.forProvider.vpcId;
      endpoint.spec.forProvider.vpcIdRef = { name: "main-vpc" };
      expect(check([endpoint, ackBucket({ policy: denyUnlessEndpoint("my-secure-bucket", VPCE) })], {}, rule)).toEqual([]);
    });

    it("names only the denied probe actions, with one concrete refused request and the statement", () => {
      const policy = {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: "*",
            Action: "s3:*",
            Resource: ["arn:aws:s3:::my-secure-bucket", "arn:aws:s3:::my-secure-bucket/*"],
          },
          { Sid: "NoWrites", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: "*" },
        ],
      };
      const findings = check(
        [ackEndpoint({ awsId: VPCE, policy }), ackBucket({ policy: denyUnlessEndpoint("my-secure-bucket", VPCE) })],
        {},
        rule,
      );
      expect(findings).toHaveLength(1);
      expect(findings[0]!.message).toMatch(/does not allow s3:PutObject on bucket my-secure-bucket for any request/);
      expect(findings[0]!.message).not.toMatch(/s3:GetObject|s3:ListBucket/);
      expect(findings[0]!.message).toMatch(
        /e\.g\. s3:PutObject on arn:aws:s3:::my-secure-bucket\/\S+ by .* is refused by the endpoint policy \(Statement\[1\] \(Sid NoWrites\)\)/,
      );
    });
  });

  describe("an endpoint policy that allows nothing", () => {
    it.each([
      [
        "only Deny statements",
        { Version: "2012-10-17", Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:DeleteObject", Resource: "*" }] },
        /only Deny statements/,
      ],
      [
        "an Allow that can never match",
        {
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: "*",
              Action: "s3:*",
              Resource: "*",
              Condition: { StringEquals: { "aws:SourceVpce": "vpce-1a2b3c4d" } },
            },
          ],
        },
        /no Allow statement can ever match/,
      ],
    ])("is reported (%s)", (_name, policy, why) => {
      for (const endpoint of [upjetEndpoint({ awsId: VPCE, policy }), ackEndpoint({ awsId: VPCE, policy })]) {
        const findings = check([endpoint], {}, rule);
        expect(findings.map((f) => f.message)).toEqual([expect.stringMatching(why)]);
        expect(findings[0]!.message).toMatch(/allows no S3 request at all/);
      }
    });

    it("keeps its answer per endpoint: the same policy on another endpoint is asked again", () => {
      const onlyFrom = (id: string) => ({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: "*", Action: "s3:*", Resource: "*", Condition: { StringEquals: { "aws:SourceVpce": id } } },
        ],
      });
      const policy = onlyFrom("vpce-1a2b3c4d");
      const elsewhere = () => check([upjetEndpoint({ awsId: VPCE, policy })], {}, rule);
      const itself = () => check([upjetEndpoint({ awsId: "vpce-1a2b3c4d", policy })], {}, rule);
      // The same policy text (one parsed document), alternately on an endpoint it shuts out and on the one it names.
      for (let round = 0; round < 2; round++) {
        expect(elsewhere().map((f) => f.message)).toEqual([expect.stringMatching(/allows no S3 request at all/)]);
        expect(itself()).toEqual([]);
      }
    });

    it("is not reported when some principal can get through", () => {
      const policy = {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: "*",
            Action: "s3:GetObject",
            Resource: "*",
            Condition: { StringEquals: { "aws:PrincipalAccount": "111122223333" } },
          },
        ],
      };
      expect(check([upjetEndpoint({ awsId: VPCE, policy })], {}, rule)).toEqual([]);
    });

    it("asks once when the first allowed request settles it: a repeat review works as little as one that asks none", () => {
      const policy = {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::allows-something/*" }],
      };
      const reviewSpending = (withPolicy: Record<string, unknown> | undefined) =>
        checkOneRuleSpending([upjetEndpoint({ name: "gw-allows", awsId: VPCE, policy: withPolicy })], rule);
      const first = reviewSpending(policy);
      const repeat = reviewSpending(policy);
      // Without a policy there is nothing to ask.
      const asksNothing = reviewSpending(undefined);
      for (const review of [first, repeat, asksNothing]) expect(review.value).toEqual([]);
      expect(first.spent).toBeGreaterThan(asksNothing.spent);
      expect(repeat.spent).toBeLessThanOrEqual(asksNothing.spent);
    });
  });
});
