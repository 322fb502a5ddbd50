// An EC2 call that never gets an answer (a black-holed connection) must end after the
// request timeout, as a retryable error: otherwise the region's listing, and every refresh
// that joins it, stays pending forever and AWS facts never come back.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { SdkEc2Source } from "../../src/platform/aws/ec2-source.js";
import type { RequestOutcome } from "../../src/platform/aws/retry.js";

let server: http.Server;
let endpoint: string;
let received = 0;

beforeAll(async () => {
  server = http.createServer(() => void received++); // reads the request, never answers
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

it("gives up on an unanswered EC2 call after requestTimeoutMs, retries it, then fails the listing", async () => {
  const attempts: [string, RequestOutcome][] = [];
  const source = new SdkEc2Source({
    endpoint,
    credentials: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "example" },
    requestTimeoutMs: 300,
    retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
    onRequest: (operation, outcome) => void attempts.push([operation, outcome]),
  });
  const started = performance.now();
  try {
    await expect(source.listRegion("us-east-1")).rejects.toMatchObject({ name: "TimeoutError" });
  } finally {
    source.destroy();
  }
  // Two attempts of 300 ms each (plus the rate limiter's and the event loop's slack), not forever.
  expect(performance.now() - started).toBeLessThan(5_000);
  expect(received).toBeGreaterThanOrEqual(2);
  const endpointAttempts = attempts.filter(([operation]) => operation === "DescribeVpcEndpoints");
  expect(endpointAttempts).toEqual([
    ["DescribeVpcEndpoints", "error"],
    ["DescribeVpcEndpoints", "error"],
  ]);
}, 15_000);
