// Fuzzing the admission path with fixed seeds (a longer run: bench/fuzz-long.sh). Properties:
// never a throw, and always a well-formed AdmissionReview answer or a clear parse error.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Inventory } from "../../src/core/inventory/inventory.js";
import { decide, parseAdmissionReview } from "../../src/app/admission.js";
import { config } from "../helpers/check.js";
import { ackBucket, communityBucketPolicy, denyUnlessEndpoint, upjetBucketPolicy, upjetEndpoint } from "../helpers/manifests.js";
import { fuzzSettings } from "../helpers/fuzz.js";

const cfg = config();
const inventory = new Inventory();
inventory.complete = true;

const seeds = [
  upjetEndpoint({ policy: denyUnlessEndpoint("b", "vpce-1a2b3c4d") }),
  upjetBucketPolicy({ policy: denyUnlessEndpoint("my-secure-bucket", "arn:aws:ec2:us-east-1:1:vpc-endpoint/vpce-1") }),
  communityBucketPolicy({ rawPolicy: "{not json" }),
  ackBucket({
    policy: {
      Statement: [
        { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*", Condition: { NotIpAddress: { "aws:SourceIp": "10.0.0.0/8" } } },
      ],
    },
  }),
];

function review(object: unknown, operation: unknown = "CREATE", extra: Record<string, unknown> = {}) {
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: "0000-fuzz",
      kind: { group: "x", version: "v1", kind: "K" },
      resource: { group: "x", version: "v1", resource: "k" },
      operation,
      object,
      oldObject: null,
      ...extra,
    },
  };
}

/** Replaces one value somewhere in a JSON tree with an arbitrary JSON value. */
function mutate(tree: unknown, path: number[], replacement: unknown): unknown {
  if (path.length === 0 || tree === null || typeof tree !== "object") return replacement;
  const entries = Object.entries(tree as Record<string, unknown>);
  if (entries.length === 0) return replacement;
  const [key, value] = entries[path[0]! % entries.length]!;
  const copy: Record<string, unknown> | unknown[] = Array.isArray(tree) ? [...tree] : { ...(tree as Record<string, unknown>) };
  (copy as Record<string, unknown>)[key] = mutate(value, path.slice(1), replacement);
  return copy;
}

function answerIsWellFormed(body: unknown): void {
  const parsed = parseAdmissionReview(body);
  if (!parsed.ok) {
    expect(parsed.message.length).toBeGreaterThan(10);
    return;
  }
  const { review: answer, decision } = decide(parsed.request, { config: cfg, inventory, inventoryComplete: true });
  expect(answer.apiVersion).toBe("admission.k8s.io/v1");
  expect(answer.kind).toBe("AdmissionReview");
  expect(answer.response.uid).toBe(parsed.request.uid);
  expect(typeof answer.response.allowed).toBe("boolean");
  expect(["allowed", "denied", "warned"]).toContain(decision);
  for (const w of answer.response.warnings ?? []) expect(w.length).toBeLessThanOrEqual(120);
  if (!answer.response.allowed) expect(answer.response.status?.code).toBe(403);
}

describe("admission fuzzing (fixed seed)", () => {
  it("answers any JSON body without throwing", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => answerIsWellFormed(body)),
      fuzzSettings(42, 300),
    );
  });

  it("answers mutated real AdmissionReviews without throwing", () => {
    const mutation = fc.record({
      seed: fc.integer({ min: 0, max: seeds.length - 1 }),
      operation: fc.constantFrom("CREATE", "UPDATE", "DELETE", "CONNECT", "", 7, null),
      path: fc.array(fc.nat(), { maxLength: 6 }),
      value: fc.jsonValue({ maxDepth: 3 }),
    });
    fc.assert(
      fc.property(mutation, ({ seed, operation, path, value }) => {
        const object = mutate(structuredClone(seeds[seed]), path, value);
        const extra =
          operation === "DELETE" || operation === "UPDATE" ? { oldObject: object, object: operation === "DELETE" ? null : object } : {};
        answerIsWellFormed(review(object, operation, extra));
      }),
      fuzzSettings(7, 300),
    );
  });
});
