import type { Config } from "../config.js";
import type { Inventory } from "../inventory/inventory.js";
import { adapt } from "./index.js";
import type { AdaptResult, AdapterContext, KubeObject } from "./types.js";

/** Adapter context backed by the inventory's Namespaces (ACK default regions). */
export function adapterContext(inventory: Inventory, config: Pick<Config, "defaults">): AdapterContext {
  return {
    namespaceDefaultRegion: (ns) => inventory.namespace(ns)?.defaultRegion,
    defaultRegion: config.defaults.region,
  };
}

/** Adapts raw objects for this inventory: what a watch (src/platform/kube/cluster-inventory.ts) is handed. */
export type InventoryAdapter = (raw: unknown) => AdaptResult;

export function inventoryAdapter(inventory: Inventory, config: Pick<Config, "defaults">): InventoryAdapter {
  const context = adapterContext(inventory, config);
  return (raw) => adapt(raw, context);
}

/**
 * Adapts every object and files the adapted ones in the inventory, Namespaces first (ACK
 * objects take their default region from them). The raw objects are consumed: each is
 * dropped once adapted, so a large input keeps only the model.
 */
export function fillInventory<T extends { object: unknown }>(
  items: readonly T[],
  inventory: Inventory,
  config: Pick<Config, "defaults">,
): { item: T; result: AdaptResult }[] {
  const adaptOne = inventoryAdapter(inventory, config);
  const ordered = [...items.filter((i) => isNamespaceObject(i.object)), ...items.filter((i) => !isNamespaceObject(i.object))];
  return ordered.map((item) => {
    const result = adaptOne(item.object);
    item.object = undefined;
    if (result.status === "adapted") inventory.upsert(result.object);
    return { item, result };
  });
}

/** A raw v1 Namespace: adapted before the objects that may take their default region from it. */
export function isNamespaceObject(o: unknown): boolean {
  const k = o as Partial<KubeObject> | null;
  return typeof k === "object" && k !== null && k.apiVersion === "v1" && k.kind === "Namespace";
}
