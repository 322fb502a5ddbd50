/**
 * One read-only pass over a cluster for `check --cluster`: every watched kind the API server
 * serves, and Namespaces (ACK default regions), listed in pages with the same discovery and
 * list clients as the informers of ClusterInventory. Nothing is watched or written. A kind
 * that cannot be listed (403, timeout) is a failure of its own; the others are still read.
 */
import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { WATCHED_KINDS } from "../../core/model/kinds.js";
import {
  chooseVersions,
  customResourceClient,
  discoverServedApis,
  groupKindOf,
  namespaceClient,
  type ListedKind,
  type ServedApis,
} from "./discovery.js";
import { FORBIDDEN_FIX, reasonOf, statusOf, type ListPage, type RawObject, type ResourceClient } from "./informer.js";
import { withTimeout } from "../util/timeout.js";

export interface ClusterListOptions {
  kubeConfig: KubeConfig;
  /** Namespaced kinds from this namespace only; cluster-scoped kinds are always read whole. */
  namespace?: string | undefined;
  kinds?: readonly ListedKind[];
  /** Objects per list request. Default 500, as the informers. */
  pageSize?: number;
  /** Each list request must answer within this. Default 30 s. */
  requestTimeoutMs?: number;
  /** After each page: kinds finished so far, kinds in all, objects read so far. */
  onProgress?: (progress: ClusterListProgress) => void;
  /** Discovery source; tests may pin it. */
  discover?: () => Promise<ServedApis>;
}

export interface ClusterListProgress {
  kindsDone: number;
  kinds: number;
  objects: number;
}

export interface ClusterListFailure {
  /** group/kind, e.g. "VPCEndpoint.ec2.aws.upbound.io", or "Namespace". */
  resource: string;
  /** The verb that failed: always "list" (nothing else is asked). */
  verb: "list";
  /** HTTP status, when the API server answered. */
  status?: number;
  /** One line: what failed, why, and the fix. */
  message: string;
}

export interface ClusterListing {
  objects: RawObject[];
  failures: ClusterListFailure[];
  /** The group/kinds@version that were listed (served by the API server), sorted. */
  listed: string[];
}

/** Pages per kind at most: a runaway continue token must not loop forever (10 M objects at 500 a page). */
const MAX_PAGES = 20_000;

/** Lists a custom resource in one namespace (the informers list across all namespaces). */
function namespacedCustomResourceClient(kubeConfig: KubeConfig, kind: ListedKind, namespace: string): ResourceClient {
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const apiVersion = `${kind.group}/${kind.version}`;
  return {
    label: groupKindOf(kind),
    path: `/apis/${kind.group}/${kind.version}/namespaces/${namespace}/${kind.plural}`,
    list: async (limit, continueToken) => {
      const response = (await custom.listNamespacedCustomObject({
        group: kind.group,
        version: kind.version,
        namespace,
        plural: kind.plural,
        limit,
        ...(continueToken ? { _continue: continueToken } : {}),
      })) as { items?: RawObject[]; metadata?: { resourceVersion?: string; continue?: string } };
      return {
        items: (response.items ?? []).map((item) => (item.apiVersion && item.kind ? item : { ...item, apiVersion, kind: kind.kind })),
        resourceVersion: response.metadata?.resourceVersion ?? "",
        continueToken: response.metadata?.continue || undefined,
      };
    },
  };
}

/** REST resource name for the fix, e.g. "vpcendpoints" in API group "ec2.aws.upbound.io". */
function resourceOf(kind: ListedKind | undefined): { plural: string; group: string } {
  return kind ? { plural: kind.plural, group: kind.group } : { plural: "namespaces", group: "" };
}

function failureOf(
  client: ResourceClient,
  kind: ListedKind | undefined,
  namespace: string | undefined,
  error: unknown,
): ClusterListFailure {
  const status = statusOf(error);
  const { plural, group } = resourceOf(kind);
  const scope = namespace !== undefined && kind?.namespaced ? ` in namespace ${namespace}` : "";
  if (status === 403) {
    const reason = reasonOf(error).replace(`; ${FORBIDDEN_FIX}`, "");
    return {
      resource: client.label,
      verb: "list",
      status,
      message: `${client.label}: missing RBAC verb "list" on ${plural}${group ? ` in API group ${group}` : ""}${scope} (${reason}); grant it (the chart's ClusterRole in charts/s3-vpce-guard/templates/rbac.yaml has every verb check --cluster needs); the other kinds were checked`,
    };
  }
  return {
    resource: client.label,
    verb: "list",
    ...(status !== undefined ? { status } : {}),
    message: `${client.label}: cannot list${scope}: ${reasonOf(error, `list ${client.path}`)}; the other kinds were checked`,
  };
}

/**
 * Discovery, then every kind page by page. Throws only when discovery itself fails (the
 * cluster cannot be reached): then nothing could be checked.
 */
export async function listCluster(options: ClusterListOptions): Promise<ClusterListing> {
  const kinds = options.kinds ?? WATCHED_KINDS;
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const discover = options.discover ?? (() => discoverServedApis(options.kubeConfig, kinds));
  const served = await withTimeout(discover(), timeoutMs, "API discovery");
  const chosen = [...chooseVersions(kinds, served).values()];
  const pageSize = options.pageSize ?? 500;
  const targets: { client: ResourceClient; kind?: ListedKind }[] = [
    // Namespaces first: ACK objects take their default region from their namespace.
    { client: namespaceClient(options.kubeConfig) },
    ...chosen.map((kind) => ({
      kind,
      client:
        options.namespace !== undefined && kind.namespaced
          ? namespacedCustomResourceClient(options.kubeConfig, kind, options.namespace)
          : customResourceClient(options.kubeConfig, kind),
    })),
  ];
  const listing: ClusterListing = { objects: [], failures: [], listed: chosen.map((k) => `${groupKindOf(k)}@${k.version}`).sort() };
  let kindsDone = 0;
  const progress = () => options.onProgress?.({ kindsDone, kinds: targets.length, objects: listing.objects.length });
  progress();
  for (const { client, kind } of targets) {
    const items: RawObject[] = [];
    try {
      let continueToken: string | undefined;
      let pages = 0;
      do {
        const page: ListPage = await withTimeout(client.list(pageSize, continueToken), timeoutMs, `listing ${client.label}`);
        for (const item of page.items) items.push(item);
        continueToken = page.continueToken;
        if (++pages >= MAX_PAGES && continueToken)
          throw new Error(`more than ${MAX_PAGES} pages of ${pageSize}; narrow it with --namespace`);
        options.onProgress?.({ kindsDone, kinds: targets.length, objects: listing.objects.length + items.length });
      } while (continueToken);
      for (const item of items) listing.objects.push(item);
    } catch (error) {
      listing.failures.push(failureOf(client, kind, options.namespace, error));
    }
    kindsDone++;
    progress();
  }
  return listing;
}
