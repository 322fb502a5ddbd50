import { adapt } from "../../src/core/adapters/index.js";
import type { KubeObject } from "../../src/core/adapters/types.js";
import type { Config } from "../../src/cli/config/schema.js";
import { adapterContext } from "../../src/core/adapters/inventory-adapter.js";
import { Inventory } from "../../src/core/inventory/inventory.js";
import type { InventoryChange } from "../../src/platform/kube/cluster-inventory.js";
import type { ModelObject } from "../../src/core/model/types.js";
import { config as parseTestConfig } from "../helpers/check.js";

/** An inventory fed like ClusterInventory feeds it: adapt, upsert, and report the change. */
export class TestCluster {
  readonly inventory = new Inventory();
  readonly config: Config;
  private readonly listeners: ((c: InventoryChange) => void)[] = [];

  constructor(cfg: Record<string, unknown> = {}) {
    this.config = parseTestConfig(cfg);
    this.inventory.complete = true;
  }

  onChange(listener: (c: InventoryChange) => void): void {
    this.listeners.push(listener);
  }

  model(raw: KubeObject): ModelObject {
    const result = adapt(raw, adapterContext(this.inventory, this.config));
    if (result.status !== "adapted") throw new Error(`not adapted: ${JSON.stringify(result)}`);
    return result.object;
  }

  apply(raw: KubeObject): ModelObject {
    const object = this.model(raw);
    const previous = this.inventory.upsert(object);
    const change: InventoryChange = previous ? { type: "upsert", object, previous } : { type: "upsert", object };
    for (const l of this.listeners) l(change);
    return object;
  }

  remove(raw: KubeObject): void {
    const previous = this.inventory.remove(this.model(raw).ref);
    if (!previous) throw new Error("not in the inventory");
    for (const l of this.listeners) l({ type: "remove", object: previous });
  }
}
