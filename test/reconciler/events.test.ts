import { describe, expect, it } from "vitest";
import type { Finding } from "../../src/model/findings.js";
import type { ResourceRef } from "../../src/model/types.js";
import { EventDeduplicator, pendingEvent } from "../../src/reconciler/events.js";

const ref = (name: string, namespace: string | null = "team-a", uid = `uid-${name}`): ResourceRef => ({ apiVersion: "s3.aws.m.upbound.io/v1beta1", kind: "Bucket", namespace, name, uid });
const finding = (resource: ResourceRef, message = "bad policy", rule: Finding["rule"] = "source-ip-condition"): Finding => ({
  rule,
  action: "deny",
  message,
  fix: "use aws:SourceVpce",
  guide: "g",
  resource,
  path: "spec.forProvider.policy",
});

function sendAll(dedup: EventDeduplicator, r: ResourceRef, findings: Finding[], now: number): string[] {
  const due = dedup.observe(r, findings, now);
  for (const e of due) dedup.sent(e.id, now);
  return due.map((e) => e.message);
}

describe("EventDeduplicator", () => {
  it("the same object, rule and message produce one event until the re-emit interval passes", () => {
    const dedup = new EventDeduplicator({ reemitAfterMs: 3_600_000 });
    const a = ref("a");
    expect(sendAll(dedup, a, [finding(a)], 0)).toHaveLength(1);
    expect(sendAll(dedup, a, [finding(a)], 1_000)).toHaveLength(0);
    expect(sendAll(dedup, a, [finding(a)], 3_599_999)).toHaveLength(0);
    expect(sendAll(dedup, a, [finding(a)], 3_600_000)).toHaveLength(1);
  });

  it("a different message or rule is a new event; a finding fixed and back again is re-emitted", () => {
    const dedup = new EventDeduplicator();
    const a = ref("a");
    sendAll(dedup, a, [finding(a)], 0);
    expect(sendAll(dedup, a, [finding(a, "other message")], 1)).toHaveLength(1);
    expect(sendAll(dedup, a, [finding(a, "other message"), finding(a, "other message", "ipv4-only")], 2)).toHaveLength(1);
    sendAll(dedup, a, [], 3);
    expect(sendAll(dedup, a, [finding(a, "other message")], 4)).toHaveLength(1);
  });

  it("an event not yet sent (API failure) is offered again", () => {
    const dedup = new EventDeduplicator();
    const a = ref("a");
    expect(dedup.observe(a, [finding(a)], 0)).toHaveLength(1);
    expect(dedup.observe(a, [finding(a)], 1)).toHaveLength(1);
  });

  it("keeps one entry per current finding, bounded, and forgets deleted objects", () => {
    const dedup = new EventDeduplicator({ maxTracked: 100 });
    for (let i = 0; i < 500; i++) {
      const r = ref(`o${i}`);
      sendAll(dedup, r, [finding(r)], i);
    }
    expect(dedup.tracked).toBe(100);
    const last = ref("o499");
    dedup.forget(last);
    expect(dedup.tracked).toBe(99);
    expect(sendAll(dedup, last, [finding(last)], 1_000)).toHaveLength(1);
  });

  it("event names are deterministic per identity (a new leader gets AlreadyExists, not a duplicate) and valid", () => {
    const a = ref("a");
    const e1 = pendingEvent(a, finding(a));
    expect(pendingEvent(a, finding(a)).name).toBe(e1.name);
    expect(pendingEvent(a, finding(a, "other")).name).not.toBe(e1.name);
    expect(pendingEvent(ref("a", "team-a", "uid-2"), finding(a)).name).not.toBe(e1.name);
    expect(e1.name).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
    expect(e1.namespace).toBe("team-a");
    expect(pendingEvent(ref("c", null), finding(ref("c", null))).namespace).toBe("default");
    const long = pendingEvent(a, finding(a, "x".repeat(5000)));
    expect(long.message.length).toBeLessThanOrEqual(1024);
  });
});
