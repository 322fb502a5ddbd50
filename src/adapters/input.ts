import type { AdapterContext, WatchedKind } from "./types.js";
import type { JsonRecord } from "./common.js";

/** A raw object of one of our kinds whose envelope (name, metadata, spec type) has been checked. */
export interface AdapterInput {
  apiVersion: string;
  kind: string;
  name: string;
  /** metadata.namespace, when set. */
  namespace: string | undefined;
  metadata: JsonRecord;
  annotations: Record<string, string>;
  /** undefined when the manifest has no spec (ACK adopt-only manifests). */
  spec: JsonRecord | undefined;
  status: unknown;
  watched: WatchedKind;
  ctx: AdapterContext;
}
