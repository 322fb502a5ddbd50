import {
  DescribeRouteTablesCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  EC2Client,
  EC2ServiceException,
} from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SdkEc2Source } from "../../src/platform/aws/ec2-source.js";
import { ManualClock, settle } from "../helpers/manual-clock.js";
import { isRetryable, isThrottling, withRetries, type RequestOutcome } from "../../src/platform/aws/retry.js";

function awsError(name: string, status: number): EC2ServiceException {
  return new EC2ServiceException({
    name,
    message: `${name} (test)`,
    $fault: status >= 500 ? "server" : "client",
    $metadata: { httpStatusCode: status },
  });
}

const instantSleep = async () => undefined;

function recorder() {
  const calls: [string, RequestOutcome][] = [];
  return { calls, hook: (operation: string, outcome: RequestOutcome) => void calls.push([operation, outcome]) };
}

describe("error classification", () => {
  it("treats EC2 throttling codes as throttling, whatever the status", () => {
    expect(isThrottling(awsError("RequestLimitExceeded", 503))).toBe(true);
    expect(isThrottling(awsError("Throttling", 400))).toBe(true);
    expect(isThrottling(awsError("InternalError", 500))).toBe(false);
  });

  it("retries throttling, 5xx and transient network errors, not client errors", () => {
    expect(isRetryable(awsError("RequestLimitExceeded", 503))).toBe(true);
    expect(isRetryable(awsError("InternalError", 500))).toBe(true);
    expect(isRetryable(awsError("Unavailable", 503))).toBe(true);
    expect(isRetryable(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }))).toBe(true);
    expect(isRetryable(awsError("UnauthorizedOperation", 403))).toBe(false);
    expect(isRetryable(awsError("AuthFailure", 401))).toBe(false);
    expect(isRetryable(new Error("plain"))).toBe(false);
  });
});

describe("withRetries", () => {
  it("retries throttling until success and reports every attempt", async () => {
    const { calls, hook } = recorder();
    const slept: number[] = [];
    let n = 0;
    const result = await withRetries(
      "DescribeVpcs",
      async () => {
        n++;
        if (n <= 2) throw awsError("RequestLimitExceeded", 503);
        if (n === 3) throw awsError("InternalError", 500);
        return "ok";
      },
      { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 10_000 },
      { onRequest: hook, sleep: async (ms) => void slept.push(ms), random: () => 0.5 },
    );
    expect(result).toBe("ok");
    expect(calls).toEqual([
      ["DescribeVpcs", "throttled"],
      ["DescribeVpcs", "throttled"],
      ["DescribeVpcs", "error"],
      ["DescribeVpcs", "success"],
    ]);
    expect(slept).toEqual([50, 100, 200]);
  });

  it("gives up after maxAttempts with the last error", async () => {
    const { calls, hook } = recorder();
    await expect(
      withRetries(
        "DescribeVpcs",
        async () => Promise.reject(awsError("RequestLimitExceeded", 503)),
        { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 },
        { onRequest: hook, sleep: instantSleep },
      ),
    ).rejects.toMatchObject({ name: "RequestLimitExceeded" });
    expect(calls.map(([, o]) => o)).toEqual(["throttled", "throttled", "throttled"]);
  });

  it("does not retry a client error", async () => {
    const { calls, hook } = recorder();
    await expect(
      withRetries("DescribeVpcs", async () => Promise.reject(awsError("UnauthorizedOperation", 403)), undefined, {
        onRequest: hook,
        sleep: instantSleep,
      }),
    ).rejects.toMatchObject({ name: "UnauthorizedOperation" });
    expect(calls).toEqual([["DescribeVpcs", "error"]]);
  });
});

describe("SdkEc2Source error paths (aws-sdk-client-mock)", () => {
  const ec2 = mockClient(EC2Client);
  let source: SdkEc2Source;
  let rec: ReturnType<typeof recorder>;

  beforeEach(() => {
    ec2.reset();
    rec = recorder();
    source = new SdkEc2Source({
      credentials: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "example" },
      endpoint: "http://127.0.0.1:9",
      onRequest: rec.hook,
      sleep: instantSleep,
      retry: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 1 },
      pageSize: 5,
    });
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [] });
    ec2.on(DescribeRouteTablesCommand).resolves({ RouteTables: [] });
  });
  afterEach(() => source.destroy());

  it("retries a throttled page, then follows NextToken to the end", async () => {
    ec2
      .on(DescribeVpcEndpointsCommand)
      .rejectsOnce(awsError("RequestLimitExceeded", 503))
      .resolvesOnce({ VpcEndpoints: [{ VpcEndpointId: "vpce-11111111", VpcId: "vpc-11111111", State: "Available" }], NextToken: "page-2" })
      .resolvesOnce({ VpcEndpoints: [{ VpcEndpointId: "vpce-22222222", VpcId: "vpc-11111111", State: "Available" }] });
    const snapshot = await source.listRegion("eu-west-1");
    expect([...snapshot.endpoints.keys()]).toEqual(["vpce-11111111", "vpce-22222222"]);
    const endpointCalls = ec2.commandCalls(DescribeVpcEndpointsCommand);
    expect(endpointCalls.map((c) => c.args[0].input.NextToken)).toEqual([undefined, undefined, "page-2"]);
    expect(endpointCalls.every((c) => c.args[0].input.MaxResults === 5)).toBe(true);
    expect(rec.calls.filter(([op]) => op === "DescribeVpcEndpoints").map(([, o]) => o)).toEqual(["throttled", "success", "success"]);
  });

  it("fails the listing on a permission error without retrying it", async () => {
    ec2.on(DescribeVpcEndpointsCommand).rejects(awsError("UnauthorizedOperation", 403));
    await expect(source.listRegion("eu-west-1")).rejects.toMatchObject({ name: "UnauthorizedOperation" });
    expect(ec2.commandCalls(DescribeVpcEndpointsCommand)).toHaveLength(1);
    expect(rec.calls).toContainEqual(["DescribeVpcEndpoints", "error"]);
  });

  it("paces each region with its own token bucket", async () => {
    ec2.on(DescribeVpcEndpointsCommand).resolves({ VpcEndpoints: [] });
    const clock = new ManualClock();
    const limited = new SdkEc2Source({
      credentials: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "example" },
      endpoint: "http://127.0.0.1:9",
      rateLimit: { capacity: 1, refillPerSecond: 10 },
      rateLimitClock: clock,
    });
    try {
      let done = false;
      const listed = Promise.all([limited.listRegion("us-east-1"), limited.listRegion("eu-west-1")]).finally(() => (done = true));
      // Virtual time moves only to the next limiter wake-up, and only once every call queued so far ran.
      while (!done) {
        await settle();
        if (!done) clock.advanceToNext();
      }
      await listed;
      // Three calls per region at 10/s after a burst of one: two waits of 100 ms per region, the
      // regions in parallel (one shared bucket would need five waits: 500 ms).
      expect(clock.now()).toBe(200);
    } finally {
      limited.destroy();
    }
  });

  it("stops when a server repeats a NextToken", async () => {
    ec2.on(DescribeVpcEndpointsCommand).resolves({ VpcEndpoints: [], NextToken: "same" });
    await expect(source.listRegion("eu-west-1")).rejects.toThrow(/NextToken same twice/);
  });

  it("keeps only associated CIDR blocks, IPv6 included, and adds route tables that route to the endpoint", async () => {
    ec2.on(DescribeVpcEndpointsCommand).resolves({ VpcEndpoints: [{ VpcEndpointId: "vpce-11111111", RouteTableIds: ["rtb-a"] }] });
    ec2.on(DescribeVpcsCommand).resolves({
      Vpcs: [
        {
          VpcId: "vpc-11111111",
          CidrBlock: "10.0.0.0/16",
          CidrBlockAssociationSet: [
            { CidrBlock: "10.0.0.0/16", CidrBlockState: { State: "associated" } },
            { CidrBlock: "198.51.100.0/24", CidrBlockState: { State: "associated" } },
            { CidrBlock: "203.0.113.0/24", CidrBlockState: { State: "disassociated" } },
          ],
          Ipv6CidrBlockAssociationSet: [{ Ipv6CidrBlock: "2600:1f18:abcd::/56", Ipv6CidrBlockState: { State: "associated" } }],
        },
      ],
    });
    ec2
      .on(DescribeRouteTablesCommand)
      .resolves({ RouteTables: [{ RouteTableId: "rtb-b", Routes: [{ GatewayId: "vpce-11111111" }, { GatewayId: "local" }] }] });
    const snapshot = await source.listRegion("us-east-1");
    expect(snapshot.vpcs.get("vpc-11111111")).toEqual({
      id: "vpc-11111111",
      region: "us-east-1",
      cidrBlocks: ["10.0.0.0/16", "198.51.100.0/24", "2600:1f18:abcd::/56"],
    });
    expect(snapshot.endpoints.get("vpce-11111111")).toEqual({
      id: "vpce-11111111",
      region: "us-east-1",
      routeTableIds: ["rtb-a", "rtb-b"],
    });
  });
});
