import { describe, expect, it } from "vitest";
import { adaptInputs, InputAdapter, type AdaptedInputs, type SourcedObject } from "../../src/app/check-objects.js";
import type { KubeObject } from "../../src/core/adapters/types.js";
import { ackBucket, ackEndpoint, GUIDE, namespace, upjetBucketPolicy, upjetEndpoint } from "../helpers/manifests.js";
import { config } from "../helpers/check.js";

/** An ACK object whose region comes from its Namespace's default-region annotation (or the config). */
function withoutRegion(object: KubeObject): KubeObject {
  const { annotations: _annotations, ...metadata } = object.metadata;
  return { ...object, metadata };
}

const sourced = (objects: KubeObject[], file: string): SourcedObject[] => objects.map((object, i) => ({ object, file, line: i + 1 }));

/** What a check reads of adapted inputs: models with their source, errors, and the inventory's order. */
function summary({ adapted, errors, inventory }: AdaptedInputs) {
  return {
    adapted: adapted.map(({ model, source }) => ({ model, file: source.file, line: source.line })),
    errors,
    inventory: [...inventory.all()].map((o) => `${o.type} ${o.ref.namespace ?? ""}/${o.ref.name}`),
  };
}

/** Batches through InputAdapter, and the same objects at once through adaptInputs. */
function both(batches: KubeObject[][]) {
  const cfg = config({ defaults: { region: "eu-central-1" } });
  const adapter = new InputAdapter(cfg);
  batches.forEach((objects, i) => adapter.add(sourced(objects, `file-${i}.yaml`)));
  const streamed = summary(adapter.finish());
  const atOnce = summary(
    adaptInputs(
      batches.flatMap((objects, i) => sourced(objects, `file-${i}.yaml`)),
      cfg,
    ),
  );
  return { streamed, atOnce };
}

describe("InputAdapter: inputs adapted a batch at a time", () => {
  it("gives what adaptInputs gives for all batches at once", () => {
    const broken = { ...upjetEndpoint({ name: "broken" }), spec: { forProvider: { region: 42 } } } as KubeObject;
    const { streamed, atOnce } = both([
      [upjetEndpoint({ name: "a", awsId: "vpce-0a" }), upjetBucketPolicy({ bucket: "b", policy: GUIDE.bucketOnly }), broken],
      [upjetEndpoint({ name: "c" }), upjetEndpoint({ name: "a", awsId: "vpce-0b" })],
    ]);
    expect(streamed).toEqual(atOnce);
    expect(streamed.adapted.length).toBeGreaterThan(3);
    expect(streamed.errors.length).toBeGreaterThan(0);
  });

  it("gives an ACK object the default region of a Namespace that comes in a later batch, in adaptInputs' order", () => {
    const { streamed, atOnce } = both([
      [withoutRegion(ackEndpoint({ name: "early", namespace: "team-b" })), upjetEndpoint({ name: "upjet" })],
      [ackBucket({ name: "bucket", namespace: "team-b" }), namespace("team-b", "ap-southeast-2")],
    ]);
    expect(streamed).toEqual(atOnce);
    const early = streamed.adapted.find((a) => a.model.ref.name === "early")!.model;
    expect(early.type === "Endpoint" && early.region?.value).toBe("ap-southeast-2");
    // Namespaces first, then the others in input order: as adaptInputs fills the inventory.
    expect(streamed.inventory[0]).toBe("Namespace /team-b");
  });

  it("drops each raw object once adapted, except those that wait for their Namespace", () => {
    const adapter = new InputAdapter(config());
    const inputs = sourced([upjetEndpoint({ name: "a" }), withoutRegion(ackEndpoint({ name: "waits" })), namespace("team-a")], "f.yaml");
    adapter.add(inputs);
    expect(inputs.map((i) => i.object === undefined)).toEqual([true, false, true]);
    adapter.finish();
    expect(inputs.every((i) => i.object === undefined)).toBe(true);
  });
});
