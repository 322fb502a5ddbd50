import { describe, expect, it } from "vitest";
import { leaseFlags } from "../../src/cli/lifecycle.js";

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
