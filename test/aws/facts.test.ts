import { describe, expect, it } from "vitest";
import type { Ec2FactSource, RegionSnapshot } from "../../src/platform/aws/ec2-source.js";
import { AwsFacts } from "../../src/platform/aws/facts-provider.js";
import type { EndpointFact, VpcFact } from "../../src/core/inventory/aws-facts.js";

/** Our own fact-source interface, answered from a table (no AWS involved). */
class TableSource implements Ec2FactSource {
  readonly calls: string[] = [];
  failing = new Set<string>();
  delayMs = 0;
  constructor(public readonly regions: Record<string, { endpoints?: EndpointFact[]; vpcs?: VpcFact[] }>) {}
  async listRegion(region: string): Promise<RegionSnapshot> {
    this.calls.push(region);
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failing.has(region)) throw Object.assign(new Error("Rate exceeded"), { name: "RequestLimitExceeded" });
    const data = this.regions[region] ?? {};
    return {
      region,
      endpoints: new Map((data.endpoints ?? []).map((e) => [e.id, e])),
      vpcs: new Map((data.vpcs ?? []).map((v) => [v.id, v])),
    };
  }
}

function setup(regions: string[] = ["us-east-1", "eu-west-1"]) {
  const time = { now: 0 };
  const logs: string[] = [];
  const source = new TableSource({
    "us-east-1": {
      endpoints: [{ id: "vpce-11111111", region: "us-east-1", vpcId: "vpc-11111111", state: "available" }],
      vpcs: [{ id: "vpc-11111111", region: "us-east-1", cidrBlocks: ["198.51.100.0/24"] }],
    },
    "eu-west-1": {
      endpoints: [{ id: "vpce-22222222", region: "eu-west-1", state: "deleted" }],
      vpcs: [{ id: "vpc-22222222", region: "eu-west-1", cidrBlocks: ["10.9.0.0/16"] }],
    },
  });
  const facts = new AwsFacts({
    source,
    regions: () => regions,
    cacheTtlMs: 60_000,
    missRelistIntervalMs: 10_000,
    clock: () => time.now,
    log: { warn: (m) => void logs.push(`warn ${m}`), info: (m) => void logs.push(`info ${m}`) },
  });
  return { facts, source, time, logs };
}

describe("AwsFacts", () => {
  it("answers a cold miss at once with undefined and lists the candidate regions in the background", async () => {
    const { facts, source } = setup();
    const start = performance.now();
    expect(facts.endpoint("vpce-11111111")).toBeUndefined();
    expect(performance.now() - start).toBeLessThan(5);
    expect(facts.endpointAbsent("vpce-11111111")).toBe(false);
    await facts.whenIdle();
    expect(source.calls.sort()).toEqual(["eu-west-1", "us-east-1"]);
    expect(facts.endpoint("vpce-11111111")).toMatchObject({ region: "us-east-1", vpcId: "vpc-11111111" });
    expect(facts.vpc("vpc-22222222")?.region).toBe("eu-west-1");
    expect([...facts.vpcs()].map((v) => v.id).sort()).toEqual(["vpc-11111111", "vpc-22222222"]);
  });

  it("knows absence only after every candidate region was listed; a deleted endpoint is absent", async () => {
    const { facts } = setup();
    await facts.refresh();
    expect(facts.endpoint("vpce-99999999")).toBeUndefined();
    expect(facts.endpointAbsent("vpce-99999999")).toBe(true);
    expect(facts.endpoint("vpce-22222222")).toBeUndefined();
    expect(facts.endpointAbsent("vpce-22222222")).toBe(true);
    expect(facts.endpointAnyState("vpce-22222222")?.state).toBe("deleted");
    expect(facts.endpointAbsent("vpce-11111111")).toBe(false);
  });

  it("does not relist on every miss: at most once per miss interval per region", async () => {
    const { facts, source, time } = setup(["us-east-1"]);
    await facts.refresh();
    for (let i = 0; i < 50; i++) facts.endpoint("vpce-99999999");
    await facts.whenIdle();
    expect(source.calls).toEqual(["us-east-1"]);
    time.now += 10_000;
    facts.endpoint("vpce-99999999");
    facts.vpc("vpc-99999999");
    await facts.whenIdle();
    expect(source.calls).toEqual(["us-east-1", "us-east-1"]);
  });

  it("serves stale facts after the TTL while it relists, and forgets them after the stale window", async () => {
    const { facts, source, time } = setup(["us-east-1"]);
    await facts.refresh();
    source.failing.add("us-east-1");
    time.now += 60_000;
    expect(facts.endpoint("vpce-11111111")?.region).toBe("us-east-1");
    await facts.whenIdle();
    expect(source.calls).toHaveLength(2);
    time.now += 60_000;
    expect(facts.endpoint("vpce-11111111")).toBeUndefined();
  });

  it("logs a failing region once, and its recovery once", async () => {
    const { facts, source, time, logs } = setup(["us-east-1"]);
    source.failing.add("us-east-1");
    const first = await facts.refresh();
    expect(first.failed).toEqual([{ region: "us-east-1", message: "RequestLimitExceeded: Rate exceeded" }]);
    time.now += 10_000;
    await facts.refresh();
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(
      /^warn AWS verification: listing VPC endpoints and VPCs in us-east-1 failed \(RequestLimitExceeded: Rate exceeded\)/,
    );
    source.failing.clear();
    expect((await facts.refresh()).listed).toEqual(["us-east-1"]);
    expect(logs).toEqual([logs[0], "info AWS verification: EC2 in us-east-1 answers again"]);
  });

  it("prefetch with a budget returns after the budget while the listing goes on", async () => {
    const { facts, source } = setup(["us-east-1"]);
    source.delayMs = 200;
    const start = performance.now();
    await facts.prefetch(["vpce-11111111"], { budgetMs: 0 });
    expect(performance.now() - start).toBeLessThan(50);
    expect(facts.endpoint("vpce-11111111")).toBeUndefined();
    await facts.prefetch(["vpce-11111111"]);
    expect(facts.endpoint("vpce-11111111")?.id).toBe("vpce-11111111");
    expect(source.calls).toEqual(["us-east-1"]);
  });

  it("asks only well-formed regions, each once", () => {
    const { facts } = setup(["us-east-1", "us-east-1", "not a region", "us-gov-west-1", "cn-north-1", ""]);
    expect(facts.candidateRegions()).toEqual(["cn-north-1", "us-east-1", "us-gov-west-1"]);
  });
});
