import { ApisApi, CoreV1Api, CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { NAMESPACE_KIND, type WatchedKind } from "../../core/model/kinds.js";
import type { ListPage, RawObject, ResourceClient } from "./informer.js";
import { statusOf } from "./informer.js";

/** What the API server serves for one group: its preferred version and, per version, the kinds. */
export interface ServedGroup {
  preferredVersion?: string;
  /** version → kinds served in it. */
  kinds: Map<string, Set<string>>;
}

export type ServedApis = Map<string, ServedGroup>;

/** What listing a kind needs: a watched kind, or one only `explain --cluster` reads (IAM). */
export type ListedKind = Pick<WatchedKind, "group" | "version" | "kind" | "plural" | "namespaced">;

/** group/kind, the identity of a watch (all versions of a kind are the same objects). */
export function groupKindOf(kind: Pick<WatchedKind, "group" | "kind">): string {
  return `${kind.kind}.${kind.group}`;
}

/**
 * Which version to watch for each of our group/kinds that the API server serves: the
 * group's preferred version when we know it, else the newest version we know.
 */
export function chooseVersions<K extends ListedKind>(known: readonly K[], served: ServedApis): Map<string, K> {
  const chosen = new Map<string, K>();
  for (const candidate of known) {
    const group = served.get(candidate.group);
    if (!group?.kinds.get(candidate.version)?.has(candidate.kind)) continue;
    const key = groupKindOf(candidate);
    const current = chosen.get(key);
    // `known` lists versions oldest first, so a later candidate replaces an earlier one
    // unless the earlier one is the group's preferred version.
    if (!current || current.version !== group.preferredVersion) chosen.set(key, candidate);
  }
  return chosen;
}

/**
 * Asks the API server which of our groups and kinds exist (discovery, not CRD objects:
 * a cluster with the full Upjet provider has hundreds of large CRDs, discovery is small).
 */
export async function discoverServedApis(kubeConfig: KubeConfig, known: readonly ListedKind[]): Promise<ServedApis> {
  const apis = kubeConfig.makeApiClient(ApisApi);
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const ourGroups = new Set(known.map((k) => k.group));
  const groupList = await apis.getAPIVersions();
  const served: ServedApis = new Map();
  for (const group of groupList.groups) {
    if (!ourGroups.has(group.name)) continue;
    const entry: ServedGroup = { preferredVersion: group.preferredVersion?.version, kinds: new Map() };
    for (const { version } of group.versions) {
      if (!known.some((k) => k.group === group.name && k.version === version)) continue;
      try {
        const resources = await custom.getAPIResources({ group: group.name, version });
        const kinds = new Set(resources.resources.filter((r) => !r.name.includes("/")).map((r) => r.kind));
        entry.kinds.set(version, kinds);
      } catch (error) {
        // A version can disappear between the two calls (CRD being changed): skip it now.
        if (statusOf(error) !== 404) throw error;
      }
    }
    served.set(group.name, entry);
  }
  return served;
}

interface ListResponse {
  items?: RawObject[];
  metadata?: { resourceVersion?: string; continue?: string };
}

function page(response: ListResponse): ListPage {
  return {
    items: response.items ?? [],
    resourceVersion: response.metadata?.resourceVersion ?? "",
    continueToken: response.metadata?.continue || undefined,
  };
}

/** Lists and watches a custom resource across all namespaces. */
export function customResourceClient(kubeConfig: KubeConfig, kind: ListedKind): ResourceClient {
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const apiVersion = `${kind.group}/${kind.version}`;
  return {
    label: groupKindOf(kind),
    path: `/apis/${kind.group}/${kind.version}/${kind.plural}`,
    list: async (limit, continueToken) => {
      const result = page(
        (await custom.listClusterCustomObject({
          group: kind.group,
          version: kind.version,
          plural: kind.plural,
          limit,
          ...(continueToken ? { _continue: continueToken } : {}),
        })) as ListResponse,
      );
      // List items of custom resources carry apiVersion/kind; make sure, the adapters need them.
      result.items = result.items.map((item) => (item.apiVersion && item.kind ? item : { ...item, apiVersion, kind: kind.kind }));
      return result;
    },
  };
}

export function namespaceClient(kubeConfig: KubeConfig): ResourceClient {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  return {
    label: NAMESPACE_KIND.kind,
    path: "/api/v1/namespaces",
    list: async (limit, continueToken) => {
      const list = await core.listNamespace({ limit, ...(continueToken ? { _continue: continueToken } : {}) });
      // The typed client drops apiVersion/kind from items; the adapters need them.
      const items = list.items.map((ns) => ({ ...ns, apiVersion: "v1", kind: "Namespace" }) as unknown as RawObject);
      return { items, resourceVersion: list.metadata?.resourceVersion ?? "", continueToken: list.metadata?._continue || undefined };
    },
  };
}
