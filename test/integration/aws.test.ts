// AWS verification against moto_server on loopback: endpoints, VPCs and route tables are
// created through the real EC2 API, then the rules see them through AwsFacts.
import {
  CreateRouteTableCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  DeleteVpcEndpointsCommand,
  EC2Client,
} from "@aws-sdk/client-ec2";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { stringify } from "yaml";
import type { KubeObject } from "../../src/core/adapters/types.js";
import { prepareCliAws } from "../../src/cli/check-aws.js";
import { startAwsVerification, awsRequestsHook } from "../../src/platform/aws/setup.js";
import { inventoryRegions } from "../../src/core/inventory/aws-references.js";
import type { RequestOutcome } from "../../src/platform/aws/retry.js";
import { runCheck } from "../../src/cli/check.js";
import { adaptInputs, checkAdapted, checkObjects } from "../../src/app/check-objects.js";
import { Inventory } from "../../src/core/inventory/inventory.js";
import { createMetrics } from "../../src/platform/telemetry/metrics.js";
import type { Finding, RuleId } from "../../src/core/model/findings.js";
import { describeIntegration } from "../harness/control-plane.js";
import { motoCredentials, startEc2FaultProxy, startMoto, type Moto } from "../harness/moto.js";
import { config } from "../helpers/check.js";
import { logOnFailure } from "../helpers/failure-log.js";
import { testTempDir } from "../helpers/temp-dir.js";
import {
  bucketGrant,
  denyUnlessEndpoint,
  upjetBucket,
  upjetBucketPolicy,
  upjetEndpoint,
  upjetRouteTableAssociation,
} from "../helpers/manifests.js";

const BUCKET = "my-secure-bucket";
const UNKNOWN_VPCE = "vpce-0123456789abcdef0";
/** TEST-NET-2: a public range that AWS (and moto) accept as a VPC CIDR. */
const PUBLIC_VPC_CIDR = "198.51.100.0/24";
const GRANT = bucketGrant(BUCKET);

interface World {
  /** us-east-1 */
  vpcA: string;
  rtb1: string;
  rtb2: string;
  endpointA: string;
  deletedEndpoint: string;
  publicVpc: string;
  /** eu-west-1 */
  vpcB: string;
  endpointB: string;
}

async function must<T>(value: T | undefined, what: string): Promise<T> {
  if (value === undefined) throw new Error(`moto did not return ${what}`);
  return value;
}

async function buildWorld(moto: Moto): Promise<World> {
  const client = (region: string) => new EC2Client({ endpoint: moto.endpoint, region, credentials: motoCredentials });
  const us = client("us-east-1");
  const eu = client("eu-west-1");
  try {
    const vpcA = await must((await us.send(new CreateVpcCommand({ CidrBlock: "10.20.0.0/16" }))).Vpc?.VpcId, "a VPC id");
    const rtb1 = await must((await us.send(new CreateRouteTableCommand({ VpcId: vpcA }))).RouteTable?.RouteTableId, "a route table id");
    const rtb2 = await must((await us.send(new CreateRouteTableCommand({ VpcId: vpcA }))).RouteTable?.RouteTableId, "a route table id");
    const s3 = (region: string) => `com.amazonaws.${region}.s3`;
    const endpointA = await must(
      (
        await us.send(
          new CreateVpcEndpointCommand({
            VpcId: vpcA,
            ServiceName: s3("us-east-1"),
            VpcEndpointType: "Gateway",
            RouteTableIds: [rtb1],
            PolicyDocument: JSON.stringify(GRANT),
          }),
        )
      ).VpcEndpoint?.VpcEndpointId,
      "an endpoint id",
    );
    const deletedEndpoint = await must(
      (await us.send(new CreateVpcEndpointCommand({ VpcId: vpcA, ServiceName: s3("us-east-1"), VpcEndpointType: "Gateway" }))).VpcEndpoint
        ?.VpcEndpointId,
      "an endpoint id",
    );
    await us.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [deletedEndpoint] }));
    const publicVpc = await must((await us.send(new CreateVpcCommand({ CidrBlock: PUBLIC_VPC_CIDR }))).Vpc?.VpcId, "a VPC id");
    const vpcB = await must((await eu.send(new CreateVpcCommand({ CidrBlock: "10.30.0.0/16" }))).Vpc?.VpcId, "a VPC id");
    const endpointB = await must(
      (await eu.send(new CreateVpcEndpointCommand({ VpcId: vpcB, ServiceName: s3("eu-west-1"), VpcEndpointType: "Gateway" }))).VpcEndpoint
        ?.VpcEndpointId,
      "an endpoint id",
    );
    return { vpcA, rtb1, rtb2, endpointA, deletedEndpoint, publicVpc, vpcB, endpointB };
  } finally {
    us.destroy();
    eu.destroy();
  }
}

/** The CLI's path: the inputs are the inventory, AWS listed for every region they mention. */
async function checkWithAws(
  moto: Moto,
  objects: KubeObject[],
  endpoint = moto.endpoint,
): Promise<{ findings: Finding[]; notice: string | undefined; aws: boolean }> {
  const cfg = config();
  const inputs = adaptInputs(
    objects.map((object, i) => ({ object, file: "test.yaml", line: i + 1 })),
    cfg,
  );
  const aws = await prepareCliAws(inputs.inventory, {
    config: cfg,
    endpointFlag: endpoint,
    credentials: motoCredentials,
    retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 20 },
  });
  if (!aws.ok) throw new Error(aws.error);
  try {
    const report = checkAdapted(inputs, { config: cfg });
    if (report.errors.length > 0) throw new Error(JSON.stringify(report.errors));
    return { findings: report.findings, notice: aws.notice, aws: inputs.inventory.facts !== undefined };
  } finally {
    aws.close();
  }
}

const only = (findings: Finding[], rule: RuleId, name?: string) =>
  findings.filter((f) => f.rule === rule && (name === undefined || f.resource.name === name));

/** An HTTP proxy in front of moto that answers the first requests with EC2 throttling or 5xx errors. */
async function startFlakyProxy(target: string, failures: ("throttle" | "5xx")[]) {
  let seen = 0;
  const answered = { throttle: 0, "5xx": 0, forwarded: 0 };
  const proxy = await startEc2FaultProxy(target, () => {
    const failure = failures[seen++];
    if (!failure) {
      answered.forwarded++;
      return "pass";
    }
    answered[failure]++;
    return failure === "throttle" ? { status: 503, code: "RequestLimitExceeded" } : { status: 500, code: "InternalError" };
  });
  return { endpoint: proxy.endpoint, answered, close: proxy.close };
}

describeIntegration(
  "AWS verification against moto",
  () => {
    let moto: Moto;
    let world: World;

    beforeAll(async () => {
      moto = await startMoto();
      world = await buildWorld(moto);
    });
    afterAll(async () => {
      await moto?.stop();
    });

    describe("unknown-endpoint-reference", () => {
      it("an endpoint that only AWS knows is known; an id AWS does not have is reported 'nor in AWS'", async () => {
        const objects = [
          upjetBucket({}),
          upjetBucketPolicy({ name: "known", policy: denyUnlessEndpoint(BUCKET, world.endpointA) }),
          upjetBucketPolicy({
            name: "known-vpc",
            bucket: "other-bucket",
            policy: denyUnlessEndpoint("other-bucket", world.vpcA, "aws:SourceVpc"),
          }),
          upjetBucketPolicy({ name: "unknown", bucket: "third-bucket", policy: denyUnlessEndpoint("third-bucket", UNKNOWN_VPCE) }),
          upjetBucketPolicy({
            name: "deleted",
            bucket: "fourth-bucket",
            policy: denyUnlessEndpoint("fourth-bucket", world.deletedEndpoint),
          }),
        ];
        const { findings, aws } = await checkWithAws(moto, objects);
        expect(aws).toBe(true);
        expect(only(findings, "unknown-endpoint-reference", "known")).toEqual([]);
        expect(only(findings, "unknown-endpoint-reference", "known-vpc")).toEqual([]);
        const [unknown] = only(findings, "unknown-endpoint-reference", "unknown");
        expect(unknown?.message).toContain(
          `requires endpoint ${UNKNOWN_VPCE}, which no known endpoint has (not in the cluster nor in AWS)`,
        );
        expect(only(findings, "unknown-endpoint-reference", "deleted")).toHaveLength(1);
      });
    });

    describe("cross-region", () => {
      it("(b) the region of an endpoint and a VPC found in another region feeds the rule", async () => {
        const objects = [
          upjetBucket({ region: "us-east-1" }),
          upjetBucketPolicy({ name: "to-eu-endpoint", policy: denyUnlessEndpoint(BUCKET, world.endpointB) }),
          upjetBucketPolicy({ name: "to-eu-vpc", bucket: BUCKET, policy: denyUnlessEndpoint(BUCKET, world.vpcB, "aws:SourceVpc") }),
          upjetBucketPolicy({ name: "same-region", bucket: BUCKET, policy: denyUnlessEndpoint(BUCKET, world.endpointA) }),
          // The bucket's region alone would not make eu-west-1 a region to ask: an EU endpoint CR does.
          upjetEndpoint({ name: "eu-endpoint", region: "eu-west-1", awsId: world.endpointB, vpcId: world.vpcB }),
        ];
        const { findings } = await checkWithAws(moto, objects);
        const [toEndpoint] = only(findings, "cross-region", "to-eu-endpoint");
        expect(toEndpoint).toMatchObject({ action: "deny" });
        expect(toEndpoint!.message).toContain(
          `requires endpoint ${world.endpointB}, which is in eu-west-1, but bucket ${BUCKET} is in us-east-1`,
        );
        const [toVpc] = only(findings, "cross-region", "to-eu-vpc");
        expect(toVpc!.message).toContain(`requires VPC ${world.vpcB}, which is in eu-west-1`);
        expect(only(findings, "cross-region", "same-region")).toEqual([]);
      });

      it("(b) without AWS the endpoint's region is unknown and nothing is reported", () => {
        const objects = [
          upjetBucket({ region: "us-east-1" }),
          upjetBucketPolicy({ name: "to-eu-endpoint", policy: denyUnlessEndpoint(BUCKET, world.endpointB) }),
        ];
        const report = checkObjects(
          objects.map((object, i) => ({ object, file: "t.yaml", line: i + 1 })),
          { config: config() },
        );
        expect(only(report.findings, "cross-region")).toEqual([]);
      });
    });

    describe("source-ip-condition", () => {
      const policy = {
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "OfficeOnly",
            Effect: "Allow",
            Principal: "*",
            Action: "s3:GetObject",
            Resource: `arn:aws:s3:::${BUCKET}/*`,
            Condition: { IpAddress: { "aws:SourceIp": ["198.51.100.0/25", "203.0.113.7/32"] } },
          },
        ],
      };

      it("a public-looking range inside a VPC's CIDR counts as private", async () => {
        const { findings } = await checkWithAws(moto, [upjetBucket({}), upjetBucketPolicy({ name: "ip", policy })]);
        const messages = only(findings, "source-ip-condition", "ip").map((f) => f.message);
        expect(messages.filter((m) => m.includes(`198.51.100.0/25, which overlaps VPC ${world.publicVpc}`))).toHaveLength(1);
        expect(messages.some((m) => m.includes("203.0.113.7/32,"))).toBe(false);
      });

      it("without AWS the same range is just public", () => {
        const report = checkObjects(
          [upjetBucket({}), upjetBucketPolicy({ name: "ip", policy })].map((object, i) => ({ object, file: "t.yaml", line: i + 1 })),
          { config: config() },
        );
        expect(only(report.findings, "source-ip-condition").some((f) => f.message.includes("overlaps VPC"))).toBe(false);
      });
    });

    describe("aws-drift", () => {
      const endpointCr = (o: Parameters<typeof upjetEndpoint>[0] = {}) =>
        upjetEndpoint({ awsId: world.endpointA, vpcId: world.vpcA, policy: GRANT, ...o });
      const rta = (routeTableId: string) =>
        upjetRouteTableAssociation({ name: `rta-${routeTableId}`, endpointRef: "s3-gateway", routeTableId });

      it("reports nothing when the endpoint in AWS matches the CR", async () => {
        const { findings } = await checkWithAws(moto, [endpointCr(), rta(world.rtb1)]);
        expect(only(findings, "aws-drift")).toEqual([]);
      });

      it("finds a different policy", async () => {
        const { findings } = await checkWithAws(moto, [endpointCr({ policy: bucketGrant("another-bucket") }), rta(world.rtb1)]);
        expect(only(findings, "aws-drift").map((f) => [f.action, f.path])).toEqual([["audit", "spec.forProvider.policy"]]);
      });

      it("finds different route tables", async () => {
        const { findings } = await checkWithAws(moto, [endpointCr(), rta(world.rtb2)]);
        const [f, ...rest] = only(findings, "aws-drift");
        expect(rest).toEqual([]);
        expect(f!.message).toContain(`not attached in AWS: ${world.rtb2}; attached only in AWS: ${world.rtb1}`);
      });

      it("finds another VPC", async () => {
        const { findings } = await checkWithAws(moto, [endpointCr({ vpcId: world.publicVpc }), rta(world.rtb1)]);
        const [f] = only(findings, "aws-drift");
        expect(f).toMatchObject({ path: "spec.forProvider.vpcId" });
        expect(f!.message).toContain(`is in ${world.vpcA}`);
      });

      it("finds a deleted endpoint and one AWS never had", async () => {
        const { findings } = await checkWithAws(moto, [
          upjetEndpoint({ name: "deleted", awsId: world.deletedEndpoint, vpcId: world.vpcA }),
          upjetEndpoint({ name: "never", awsId: UNKNOWN_VPCE, vpcId: world.vpcA }),
        ]);
        expect(only(findings, "aws-drift", "deleted")[0]?.message).toContain(
          `endpoint ${world.deletedEndpoint} (status.atProvider.id) is deleted in AWS`,
        );
        expect(only(findings, "aws-drift", "never")[0]?.message).toContain(
          `endpoint ${UNKNOWN_VPCE} (status.atProvider.id) was not found in AWS`,
        );
      });
    });

    describe("throttling and 5xx answers", () => {
      it("retries, fills the cache, never delays a cache miss, and counts every outcome", async () => {
        const proxy = await startFlakyProxy(moto.endpoint, ["throttle", "throttle", "5xx", "throttle", "5xx"]);
        const metrics = createMetrics({ processMetrics: false });
        const counted = awsRequestsHook(metrics);
        const outcomes: [string, RequestOutcome][] = [];
        const inventory = new Inventory();
        const started = await startAwsVerification({
          config: config(),
          regions: () => inventoryRegions(inventory, "us-east-1"),
          endpointFlag: proxy.endpoint,
          credentials: motoCredentials,
          log: { warn: () => undefined, info: () => undefined },
          retry: { maxAttempts: 6, baseDelayMs: 20, maxDelayMs: 200 },
          onRequest: (operation, outcome) => {
            outcomes.push([operation, outcome]);
            counted(operation, outcome);
          },
        });
        if (!started.ok) throw new Error(started.reason);
        try {
          const { facts } = started;
          // Admission's view: a miss answers at once, and starts the lookup in the background.
          const missStart = performance.now();
          expect(facts.endpoint(world.endpointA)).toBeUndefined();
          const missMs = performance.now() - missStart;
          expect(missMs).toBeLessThan(5);
          await facts.whenIdle();
          expect(facts.endpoint(world.endpointA)).toMatchObject({ region: "us-east-1", vpcId: world.vpcA, routeTableIds: [world.rtb1] });
          expect(proxy.answered).toMatchObject({ throttle: 3, "5xx": 2 });
          expect(outcomes.filter(([, o]) => o === "throttled")).toHaveLength(3);
          expect(outcomes.filter(([, o]) => o === "error")).toHaveLength(2);
          expect(
            outcomes
              .filter(([, o]) => o === "success")
              .map(([op]) => op)
              .sort(),
          ).toEqual(["DescribeRouteTables", "DescribeVpcEndpoints", "DescribeVpcs"]);
          const text = await metrics.registry.metrics();
          const total = (outcome: RequestOutcome) =>
            [
              ...text.matchAll(new RegExp(`s3_vpce_guard_aws_requests_total\\{operation="\\w+",outcome="${outcome}"\\} (\\d+)`, "g")),
            ].reduce((sum, m) => sum + Number(m[1]), 0);
          expect([total("throttled"), total("error"), total("success")]).toEqual([3, 2, 3]);
          logOnFailure(
            `cache miss answered in ${missMs.toFixed(3)} ms; listing through 5 injected failures took ${(performance.now() - missStart).toFixed(0)} ms`,
          );
        } finally {
          started.source.destroy();
          await proxy.close();
        }
      });
    });

    describe("CLI check --aws", () => {
      it("uses the default credential chain (environment) and the --ec2-endpoint flag", async () => {
        const dir = testTempDir("s3vg-aws-cli-");
        const file = join(dir, "in.yaml");
        const objects = [
          upjetBucket({}),
          upjetBucketPolicy({ name: "known", policy: denyUnlessEndpoint(BUCKET, world.endpointA) }),
          upjetBucketPolicy({ name: "unknown", bucket: "third-bucket", policy: denyUnlessEndpoint("third-bucket", UNKNOWN_VPCE) }),
        ];
        writeFileSync(file, objects.map((o) => stringify(o)).join("---\n"));
        const saved = { ...process.env };
        for (const key of Object.keys(process.env)) if (key.startsWith("AWS_")) delete process.env[key];
        Object.assign(process.env, {
          AWS_ACCESS_KEY_ID: motoCredentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: motoCredentials.secretAccessKey,
          AWS_CONFIG_FILE: "/nonexistent",
          AWS_SHARED_CREDENTIALS_FILE: "/nonexistent",
          AWS_EC2_METADATA_DISABLED: "true",
        });
        const out: string[] = [];
        const err: string[] = [];
        vi.spyOn(process.stdout, "write").mockImplementation((chunk) => (out.push(String(chunk)), true));
        vi.spyOn(process.stderr, "write").mockImplementation((chunk) => (err.push(String(chunk)), true));
        let code: number;
        try {
          code = await runCheck({ paths: [file], configPath: undefined, output: "json", aws: true, ec2Endpoint: moto.endpoint });
        } finally {
          vi.restoreAllMocks();
          for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
          Object.assign(process.env, saved);
        }
        expect(err.join("")).toBe("");
        expect(code).toBe(0);
        const report = JSON.parse(out.join("")) as { findings: { rule: string; resource: { name: string }; message: string }[] };
        const unknown = report.findings.filter((f) => f.rule === "unknown-endpoint-reference");
        expect(unknown.map((f) => f.resource.name)).toEqual(["unknown"]);
        expect(unknown[0]!.message).toContain("nor in AWS");
      });

      it("an unreachable EC2 endpoint turns AWS checks off with one line; the rest still runs", async () => {
        const { findings, notice, aws } = await checkWithAws(
          moto,
          [upjetBucket({}), upjetBucketPolicy({ name: "unknown", policy: denyUnlessEndpoint(BUCKET, UNKNOWN_VPCE) })],
          "http://127.0.0.1:9",
        );
        expect(aws).toBe(false);
        expect(notice).toMatch(/^AWS verification is off: EC2 could not be listed in region us-east-1: .*All other checks run as usual\.$/);
        expect(only(findings, "unknown-endpoint-reference")[0]?.message).toContain("(not in the cluster)");
      });
    });
  },
  ["moto"],
);
