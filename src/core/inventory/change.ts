import type { ModelObject } from "../model/types.js";

/** One change to the cluster's objects, after the inventory took it in. */
export type InventoryChange = { type: "upsert"; object: ModelObject; previous?: ModelObject } | { type: "remove"; object: ModelObject };
