import { describe, expect, it } from "vitest";
import type { Finding } from "../../src/core/model/findings.js";
import type { ResourceRef } from "../../src/core/model/types.js";
import { announcedBy, DIGEST_ANNOTATION, EventDeduplicator, pendingEvent, summaryMessage } from "../../src/platform/kube/events.js";

const ref = (name: string, namespace: string | null = "team-a", uid = `uid-${name}`): ResourceRef => ({
  apiVersion: "s3.aws.m.upbound.io/v1beta1",
  kind: "Bucket",
  namespace,
  name,
  uid,
});
const finding = (
  resource: ResourceRef,
  message = "bad policy",
  rule: Finding["rule"] = "source-ip-condition",
  action: Finding["action"] = "deny",
): Finding => ({
  rule,
  action,
  message,
  fix: "use aws:SourceVpce",
  guide: "g",
  resource,
  path: "spec.forProvider.policy",
});

/** Observes and, when an Event is due, records it as announced; returns the Event's message or undefined. */
function announce(dedup: EventDeduplicator, r: ResourceRef, findings: Finding[]): string | undefined {
  const due = dedup.observe(r, findings);
  if (due) dedup.announced(due.key, due.digest);
  return due?.message;
}

describe("EventDeduplicator", () => {
  it("one Event per object summarising all its findings, not repeated while they persist", () => {
    const dedup = new EventDeduplicator();
    const a = ref("a");
    const findings = [finding(a), finding(a, "open to all", "endpoint-full-access", "warn")];
    expect(announce(dedup, a, findings)).toBe(
      "2 findings (1 deny, 1 warn): source-ip-condition: bad policy (field: spec.forProvider.policy); endpoint-full-access: open to all (field: spec.forProvider.policy)",
    );
    expect(announce(dedup, a, findings)).toBeUndefined();
    // The same findings in another order are the same summary.
    expect(announce(dedup, a, [...findings].reverse())).toBeUndefined();
  });

  it("a change of the findings is one new Event; fixed and back again is news", () => {
    const dedup = new EventDeduplicator();
    const a = ref("a");
    announce(dedup, a, [finding(a)]);
    expect(announce(dedup, a, [finding(a, "other message")])).toMatch(/^1 finding \(1 deny\): source-ip-condition: other message/);
    expect(announce(dedup, a, [])).toBeUndefined();
    expect(announce(dedup, a, [finding(a, "other message")])).toBeDefined();
  });

  it("deny mode announces deny and warn findings only; all adds audit; off none", () => {
    const a = ref("a");
    const auditOnly = [finding(a, "m", "required-bucket-access", "audit")];
    expect(new EventDeduplicator("deny").observe(a, auditOnly)).toBeUndefined();
    expect(new EventDeduplicator("all").observe(a, auditOnly)?.message).toMatch(/^1 finding \(1 audit\)/);
    expect(new EventDeduplicator("off").observe(a, [finding(a)])).toBeUndefined();
    // An audit finding next to a deny one is not part of the deny-mode summary (nor of its digest).
    const deny = new EventDeduplicator("deny");
    announce(deny, a, [finding(a)]);
    expect(announce(deny, a, [finding(a), ...auditOnly])).toBeUndefined();
  });

  it("an Event not yet announced (API failure) is offered again; a deleted object is forgotten", () => {
    const dedup = new EventDeduplicator();
    const a = ref("a");
    expect(dedup.observe(a, [finding(a)])).toBeDefined();
    expect(dedup.observe(a, [finding(a)])).toBeDefined();
    announce(dedup, a, [finding(a)]);
    dedup.forget(a);
    expect(dedup.tracked).toBe(0);
    expect(dedup.observe(a, [finding(a)])).toBeDefined();
  });

  it("memory is bounded: one digest per object, oldest evicted past the cap", () => {
    const dedup = new EventDeduplicator("deny", 100);
    for (let i = 0; i < 500; i++) {
      const r = ref(`o${i}`);
      announce(dedup, r, [finding(r), finding(r, "second")]);
    }
    expect(dedup.tracked).toBe(100);
  });

  it("what a new leader reads from an earlier leader's Event marks the object as announced", () => {
    const a = ref("a");
    const event = pendingEvent(a, [finding(a)], "deny")!;
    const listed = announcedBy({
      metadata: { name: event.name, annotations: { [DIGEST_ANNOTATION]: event.digest }, creationTimestamp: new Date(5_000) },
      involvedObject: { apiVersion: a.apiVersion, kind: a.kind, namespace: "team-a", name: "a", uid: "uid-a" },
    });
    expect(listed).toEqual({ key: event.key, digest: event.digest, at: 5_000 });
    const dedup = new EventDeduplicator();
    dedup.announced(listed!.key, listed!.digest);
    expect(dedup.observe(a, [finding(a)])).toBeUndefined();
    // Events of the per-finding layout (no digest) say nothing.
    expect(announcedBy({ metadata: { name: "x" }, involvedObject: { kind: "Bucket", name: "a", apiVersion: "v1" } })).toBeUndefined();
  });

  it("Event names are deterministic per object, uid and findings, and valid", () => {
    const a = ref("a");
    const e1 = pendingEvent(a, [finding(a)], "deny")!;
    expect(pendingEvent(a, [finding(a)], "deny")!.name).toBe(e1.name);
    expect(pendingEvent(a, [finding(a, "other")], "deny")!.name).not.toBe(e1.name);
    expect(pendingEvent(ref("a", "team-a", "uid-2"), [finding(a)], "deny")!.name).not.toBe(e1.name);
    expect(e1.name).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
    expect(e1.namespace).toBe("team-a");
    expect(pendingEvent(ref("c", null), [finding(ref("c", null))], "deny")!.namespace).toBe("default");
  });
});

describe("summaryMessage", () => {
  it("stays within 1024 characters and says how many findings did not fit", () => {
    const a = ref("a");
    const many = [...Array(40).keys()].map((i) => finding(a, `message number ${i} ${"x".repeat(40)}`));
    const text = summaryMessage(many);
    expect(text.length).toBeLessThanOrEqual(1024);
    expect(text).toMatch(/^40 findings \(40 deny\): /);
    const shown = (text.match(/message number/g) ?? []).length;
    expect(text).toMatch(new RegExp(`… and ${40 - shown} more in the PolicyReport$`));
    const long = summaryMessage([finding(a, "y".repeat(5000))]);
    expect(long.length).toBe(1024);
    expect(long).toMatch(/^1 finding \(1 deny\): source-ip-condition: yyy+…$/);
  });
});
