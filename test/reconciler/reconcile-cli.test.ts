import { KubeConfig } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { parseReconcileArgs, startReconcile } from "../../src/cli/reconcile.js";
import { createLogger } from "../../src/platform/telemetry/logging.js";

describe("reconcile command line", () => {
  it("has defaults for every flag", () => {
    const o = parseReconcileArgs(["--lease-namespace", "guard", "--identity", "pod-1"]);
    expect(o).toMatchObject({
      metricsPort: 9090,
      healthPort: 8081,
      leaseName: "s3-vpce-guard",
      leaseNamespace: "guard",
      identity: "pod-1",
      leaderElection: true,
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
    });
  });

  it("reads lease timings and ports", () => {
    const o = parseReconcileArgs([
      "--metrics-port",
      "0",
      "--health-port",
      "0",
      "--lease-duration",
      "3s",
      "--renew-deadline",
      "2s",
      "--retry-period",
      "500ms",
      "--no-leader-election",
    ]);
    expect(o).toMatchObject({
      metricsPort: 0,
      healthPort: 0,
      leaseDurationMs: 3_000,
      renewDeadlineMs: 2_000,
      retryPeriodMs: 500,
      leaderElection: false,
    });
  });

  it("rejects bad values naming the flag", () => {
    expect(() => parseReconcileArgs(["--metrics-port", "x"])).toThrow(/--metrics-port must be a port number/);
    expect(() => parseReconcileArgs(["--lease-duration", "soon"])).toThrow(/--lease-duration must be a duration/);
    expect(() => parseReconcileArgs(["--lease-duration", "5s", "--renew-deadline", "5s"])).toThrow(
      /--renew-deadline \(5s\) must be shorter than --lease-duration \(5s\)/,
    );
    expect(() => parseReconcileArgs(["--bogus"])).toThrow(/bogus/);
  });
});

describe("reconcile ports", () => {
  it("serves /healthz at once, /readyz only after the first sync, and /metrics", async () => {
    const kubeConfig = new KubeConfig();
    // Nothing listens there: the inventory never syncs, the lease is never won.
    kubeConfig.loadFromOptions({
      clusters: [{ name: "c", server: "http://127.0.0.1:9", skipTLSVerify: true }],
      users: [{ name: "u" }],
      contexts: [{ name: "x", cluster: "c", user: "u" }],
      currentContext: "x",
    });
    const options = parseReconcileArgs([
      "--metrics-port",
      "0",
      "--health-port",
      "0",
      "--host",
      "127.0.0.1",
      "--lease-namespace",
      "guard",
      "--identity",
      "t",
    ]);
    const running = await startReconcile(options, { kubeConfig, logger: createLogger({ level: "silent" }) });
    try {
      const get = async (port: number, path: string) => {
        const response = await fetch(`http://127.0.0.1:${port}${path}`);
        return { status: response.status, text: await response.text() };
      };
      expect(await get(running.healthPort, "/healthz")).toEqual({ status: 200, text: "ok\n" });
      const ready = await get(running.healthPort, "/readyz");
      expect(ready.status).toBe(503);
      // The same format as the webhook's /readyz (src/platform/http/listen.ts).
      expect(JSON.parse(ready.text)).toEqual({ ready: false, reason: expect.stringContaining("waiting for the first inventory sync") });
      const metrics = await get(running.metricsServer.port, "/metrics");
      expect(metrics.text).toMatch(/^s3_vpce_guard_leader 0$/m);
      expect(metrics.text).toContain("# TYPE s3_vpce_guard_violations gauge");
    } finally {
      await running.stop();
    }
  });
});
