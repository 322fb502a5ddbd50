/**
 * Writes built reports to the API server with server-side apply (field manager
 * `s3-vpce-guard`, force), only when their content hash differs from what is there, and
 * deletes reports of scopes that have no audited object left. If the PolicyReport CRDs are
 * not installed it says so once and reports "unavailable"; the caller keeps events and
 * metrics going and asks again later.
 */
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from "@kubernetes/client-node";
import { reasonOf, statusOf } from "../kube/informer.js";
import type { Logger } from "../logging.js";
import {
  HASH_ANNOTATION,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  REPORT_API_GROUP,
  REPORT_API_VERSION,
  REPORT_NAME,
  type BuiltReport,
} from "./policy-reports.js";
import { CLUSTER_SCOPE, type ReportScope } from "./results.js";

export const FIELD_MANAGER = "s3-vpce-guard";

interface ListedReport {
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
}

export type WriteOutcome = "written" | "unchanged" | "deleted" | "unavailable";

const plural = (scope: ReportScope) => (scope === CLUSTER_SCOPE ? "clusterpolicyreports" : "policyreports");

export class PolicyReportWriter {
  private readonly api: CustomObjectsApi;
  /** scope → content hash of the report as it is on the server (absent = no report). */
  private readonly onServer = new Map<ReportScope, string>();
  private loaded = false;
  /** Bumped by reset(): a listing that started before it must not count as fresh. */
  private generation = 0;
  private missingLogged = false;

  constructor(
    kubeConfig: KubeConfig,
    private readonly logger: Logger,
  ) {
    this.api = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  /** Forget what is on the server (new leadership term): the next call lists it again. */
  reset(): void {
    this.generation++;
    this.loaded = false;
    this.onServer.clear();
  }

  /**
   * Scopes that have a report of ours on the server. Lists once per leadership term (so a
   * new leader rewrites nothing that is already right, and deletes stale reports).
   * Undefined when the CRDs are not installed.
   */
  async existingScopes(): Promise<ReportScope[] | undefined> {
    if (!(await this.load())) return undefined;
    return [...this.onServer.keys()];
  }

  /** Applies the report, or deletes the scope's report when `report` is undefined. */
  async sync(scope: ReportScope, report: BuiltReport | undefined): Promise<WriteOutcome> {
    if (!(await this.load())) return "unavailable";
    if (!report) {
      if (!this.onServer.has(scope)) return "unchanged";
      await this.remove(scope);
      return "deleted";
    }
    if (this.onServer.get(scope) === report.hash) return "unchanged";
    const common = { group: REPORT_API_GROUP, version: REPORT_API_VERSION, plural: plural(scope), name: REPORT_NAME, body: report.object, fieldManager: FIELD_MANAGER, force: true };
    const apply = setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply);
    try {
      if (scope === CLUSTER_SCOPE) await this.api.patchClusterCustomObject(common, apply);
      else await this.api.patchNamespacedCustomObject({ ...common, namespace: scope }, apply);
    } catch (error) {
      if (statusOf(error) === 404 && (await this.crdMissing())) return "unavailable";
      throw error;
    }
    this.onServer.set(scope, report.hash);
    return "written";
  }

  private async remove(scope: ReportScope): Promise<void> {
    try {
      if (scope === CLUSTER_SCOPE) {
        await this.api.deleteClusterCustomObject({ group: REPORT_API_GROUP, version: REPORT_API_VERSION, plural: plural(scope), name: REPORT_NAME });
      } else {
        await this.api.deleteNamespacedCustomObject({ group: REPORT_API_GROUP, version: REPORT_API_VERSION, plural: plural(scope), namespace: scope, name: REPORT_NAME });
      }
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
    this.onServer.delete(scope);
  }

  /** Lists our reports once; false when the CRDs are absent. */
  private async load(): Promise<boolean> {
    if (this.loaded) return true;
    const labelSelector = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;
    const generation = this.generation;
    try {
      const [cluster, namespaced] = await Promise.all([
        this.api.listClusterCustomObject({ group: REPORT_API_GROUP, version: REPORT_API_VERSION, plural: "clusterpolicyreports", labelSelector }),
        this.api.listClusterCustomObject({ group: REPORT_API_GROUP, version: REPORT_API_VERSION, plural: "policyreports", labelSelector }),
      ]);
      // reset() ran while this list was on the wire (a full audit asked for a fresh look, e.g.
      // after a report was deleted by hand): what it saw may be stale, so list again.
      if (generation !== this.generation) return this.load();
      this.onServer.clear();
      for (const item of ((cluster as { items?: ListedReport[] }).items ?? [])) {
        if (item.metadata?.name === REPORT_NAME) this.onServer.set(CLUSTER_SCOPE, item.metadata.annotations?.[HASH_ANNOTATION] ?? "");
      }
      for (const item of ((namespaced as { items?: ListedReport[] }).items ?? [])) {
        const ns = item.metadata?.namespace;
        if (ns && item.metadata?.name === REPORT_NAME) this.onServer.set(ns, item.metadata.annotations?.[HASH_ANNOTATION] ?? "");
      }
    } catch (error) {
      if (statusOf(error) === 404) {
        this.logMissing();
        return false;
      }
      throw error;
    }
    this.loaded = true;
    if (this.missingLogged) this.logger.info("reconciler: PolicyReport CRDs are installed now; writing reports");
    this.missingLogged = false;
    return true;
  }

  /** A 404 on apply means the CRD went away, or the namespace is being deleted. */
  private async crdMissing(): Promise<boolean> {
    try {
      await this.api.listClusterCustomObject({ group: REPORT_API_GROUP, version: REPORT_API_VERSION, plural: "policyreports", limit: 1 });
      return false;
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
      this.reset();
      this.logMissing();
      return true;
    }
  }

  private logMissing(): void {
    if (this.missingLogged) return;
    this.missingLogged = true;
    this.logger.warn(
      { apiVersion: `${REPORT_API_GROUP}/${REPORT_API_VERSION}` },
      "reconciler: the PolicyReport CRDs (policyreports/clusterpolicyreports.wgpolicyk8s.io) are not installed; audit results go to Events and metrics only. Install the CRDs (e.g. from the Policy WG or Kyverno) and they are picked up without a restart",
    );
  }

  /** For logs: a failed write's reason in one line. */
  static reason(error: unknown): string {
    return reasonOf(error);
  }
}
