import { describe, expect, it, vi } from "vitest";
import { leaseFlags, runService } from "../../src/cli/lifecycle.js";

describe("lease flags", () => {
  it("gives the documented defaults when no flag is set (serve without lease flags)", () => {
    expect(leaseFlags({})).toMatchObject({
      leaseName: "s3-vpce-guard",
      leaderElection: true,
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
    });
  });

  it("names the flag at fault", () => {
    expect(() => leaseFlags({ "lease-duration": "soon" })).toThrow(/--lease-duration/);
    expect(() => leaseFlags({ "lease-duration": "5s", "renew-deadline": "10s" })).toThrow(
      /--renew-deadline .* shorter than --lease-duration/,
    );
  });
});

describe("runService", () => {
  it("handles SIGTERM before it prints the ports line, then stops gracefully with exit code 0", async () => {
    const before = process.listenerCount("SIGTERM");
    const handlersAtPortsLine: number[] = [];
    let stops = 0;
    const write = process.stdout.write.bind(process.stdout);
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      if (String(chunk).includes('"msg":"ports"')) {
        handlersAtPortsLine.push(process.listenerCount("SIGTERM"));
        // Unhandled, a real SIGTERM here would kill the process: fail now rather than wait forever.
        if (process.listenerCount("SIGTERM") === before) throw new Error("the ports line went out before SIGTERM was handled");
        // What a script does on reading the line: signal at once.
        process.emit("SIGTERM", "SIGTERM");
        return true;
      }
      return write(chunk as string, ...(rest as []));
    });
    try {
      const code = await runService("test", async () => ({ ports: { port: 1 }, stop: async () => void (stops += 1) }));
      expect(handlersAtPortsLine).toEqual([before + 1]);
      expect(stops).toBe(1);
      expect(code).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(process.listenerCount("SIGTERM")).toBe(before);
  });
});
