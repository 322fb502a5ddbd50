import type { AdapterContext, WatchedKind } from "./types.js";
import type { JsonRecord } from "./common.js";

/** A raw object of one of our kinds whose envelope (name, metadata, spec type) has been checked. */
export interface AdapterInput {
  apiVersion: string;
  kind: string;
  /** metadata.name, or `<generateName>*` until the API server names the object. */
  name: string;
  /** The object has only metadata.generateName: its final name (and a bucket name defaulted from it) is not known yet. */
  generatedName?: boolean;
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
