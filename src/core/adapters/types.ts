import type { ModelObject } from "../model/types.js";

/** A Kubernetes object as read from YAML/JSON or the API server, before any checks. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  spec?: unknown;
  status?: unknown;
  [key: string]: unknown;
}

/** What adapters need to know beyond the object itself. */
export interface AdapterContext {
  /** ACK: the namespace annotation services.k8s.aws/default-region, when known. */
  namespaceDefaultRegion(namespace: string): string | undefined;
  /** ACK: the controller default region (config defaults.region). */
  defaultRegion: string;
  /**
   * The model is read once and dropped (an admission review): its field paths are not interned.
   * Interning pays for models kept by the thousand; for one review it is a lookup in V8's
   * string table per field, a table that other work in the server has pushed out of the cache.
   */
  transient?: boolean;
}

/** A problem reading one field; the object is still adapted as far as possible. */
export interface AdapterIssue {
  path: string;
  message: string;
}

export type AdaptResult =
  | { status: "adapted"; object: ModelObject; issues: AdapterIssue[] }
  /** Not a kind we check (or not an object at all): pass untouched. */
  | { status: "ignored"; reason: string }
  /** A kind we check but too broken to model (no metadata.name, spec not an object, …). */
  | { status: "invalid"; issues: AdapterIssue[] };

export type { WatchedKind } from "../model/kinds.js";
