/**
 * Writes built reports to the API server with server-side apply (field manager
 * `s3-vpce-guard`, force), only when their content hash differs from what is there, and
 * deletes every report of ours (label `app.kubernetes.io/managed-by=s3-vpce-guard`) in a
 * scope whose name is not in the scope's current set: emptied shards, scopes with no
 * audited object left, and reports of an earlier layout (the single ClusterPolicyReport
 * `s3-vpce-guard` of versions before sharding), which go on the first audit after an upgrade. If the PolicyReport CRDs are
 * not installed it says so once and reports "unavailable"; the caller keeps events and
 * metrics going and asks again later.
 */
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from "@kubernetes/client-node";
import { reasonOf, statusOf } from "./informer.js";
import { componentLogger, type Logger } from "../telemetry/logging.js";
import {
  HASH_ANNOTATION,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  REPORT_API_GROUP,
  REPORT_API_VERSION,
  type BuiltReport,
} from "../../core/model/policy-report.js";
import { CLUSTER_SCOPE, type ReportScope } from "../../core/model/policy-report.js";

export const FIELD_MANAGER = "s3-vpce-guard";

interface ListedReport {
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
}

export interface WriteCounts {
  written: number;
  deleted: number;
}
export type WriteOutcome = WriteCounts | "unavailable";

const plural = (scope: ReportScope) => (scope === CLUSTER_SCOPE ? "clusterpolicyreports" : "policyreports");

export class PolicyReportWriter {
  private readonly api: CustomObjectsApi;
  /** scope → report name → content hash of the report as it is on the server. */
  private readonly onServer = new Map<ReportScope, Map<string, string>>();
  private loaded = false;
  /** Bumped by reset(): a listing that started before it must not count as fresh. */
  private generation = 0;
  private missingLogged = false;
  private readonly logger: Logger;

  constructor(kubeConfig: KubeConfig, logger: Logger) {
    this.logger = componentLogger(logger, "reconciler");
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

  /** Number of our reports on the server, as last listed and written. */
  get reportCount(): number {
    let n = 0;
    for (const names of this.onServer.values()) n += names.size;
    return n;
  }

  /**
   * Makes the scope's reports on the server exactly `reports`: applies those whose hash
   * differs, then deletes ours that are not among them (an empty list deletes them all).
   */
  async sync(scope: ReportScope, reports: readonly BuiltReport[]): Promise<WriteOutcome> {
    if (!(await this.load())) return "unavailable";
    const counts: WriteCounts = { written: 0, deleted: 0 };
    const names = this.namesOf(scope);
    for (const report of reports) {
      if (names.get(report.name) === report.hash) continue;
      const common = {
        group: REPORT_API_GROUP,
        version: REPORT_API_VERSION,
        plural: plural(scope),
        name: report.name,
        body: report.object,
        fieldManager: FIELD_MANAGER,
        force: true,
      };
      const apply = setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply);
      try {
        if (scope === CLUSTER_SCOPE) await this.api.patchClusterCustomObject(common, apply);
        else await this.api.patchNamespacedCustomObject({ ...common, namespace: scope }, apply);
      } catch (error) {
        if (statusOf(error) === 404 && (await this.crdMissing())) return "unavailable";
        throw error;
      }
      names.set(report.name, report.hash);
      counts.written++;
    }
    const wanted = new Set(reports.map((r) => r.name));
    for (const name of [...names.keys()]) {
      if (wanted.has(name)) continue;
      await this.remove(scope, name);
      names.delete(name);
      counts.deleted++;
    }
    if (names.size === 0) this.onServer.delete(scope);
    return counts;
  }

  private namesOf(scope: ReportScope): Map<string, string> {
    let names = this.onServer.get(scope);
    if (!names) this.onServer.set(scope, (names = new Map()));
    return names;
  }

  private async remove(scope: ReportScope, name: string): Promise<void> {
    try {
      if (scope === CLUSTER_SCOPE) {
        await this.api.deleteClusterCustomObject({ group: REPORT_API_GROUP, version: REPORT_API_VERSION, plural: plural(scope), name });
      } else {
        await this.api.deleteNamespacedCustomObject({
          group: REPORT_API_GROUP,
          version: REPORT_API_VERSION,
          plural: plural(scope),
          namespace: scope,
          name,
        });
      }
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
  }

  /** Lists our reports once; false when the CRDs are absent. */
  private async load(): Promise<boolean> {
    if (this.loaded) return true;
    const labelSelector = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;
    const generation = this.generation;
    try {
      // Metadata only (names and content hashes): at fleet scale the reports' results are
      // tens of MB that this listing, repeated every full audit, has no use for.
      const metadataOnly = setHeaderOptions("Accept", "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json");
      const [cluster, namespaced] = await Promise.all([
        this.api.listClusterCustomObject(
          { group: REPORT_API_GROUP, version: REPORT_API_VERSION, plural: "clusterpolicyreports", labelSelector },
          metadataOnly,
        ),
        this.api.listClusterCustomObject(
          { group: REPORT_API_GROUP, version: REPORT_API_VERSION, plural: "policyreports", labelSelector },
          metadataOnly,
        ),
      ]);
      // reset() ran while this list was on the wire (a full audit asked for a fresh look, e.g.
      // after a report was deleted by hand): what it saw may be stale, so list again.
      if (generation !== this.generation) return this.load();
      this.onServer.clear();
      // Every report with our label, whatever its name: those not in the current layout are
      // deleted when their scope is synced (the reconciler syncs every listed scope once per term).
      for (const item of (cluster as { items?: ListedReport[] }).items ?? []) {
        const name = item.metadata?.name;
        if (name) this.namesOf(CLUSTER_SCOPE).set(name, item.metadata?.annotations?.[HASH_ANNOTATION] ?? "");
      }
      for (const item of (namespaced as { items?: ListedReport[] }).items ?? []) {
        const ns = item.metadata?.namespace;
        const name = item.metadata?.name;
        if (ns && name) this.namesOf(ns).set(name, item.metadata?.annotations?.[HASH_ANNOTATION] ?? "");
      }
    } catch (error) {
      if (statusOf(error) === 404) {
        this.logMissing();
        return false;
      }
      throw error;
    }
    this.loaded = true;
    if (this.missingLogged) this.logger.info("PolicyReport CRDs are installed now; writing reports");
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
      "the PolicyReport CRDs (policyreports/clusterpolicyreports.wgpolicyk8s.io) are not installed; audit results go to Events and metrics only. Install the CRDs (e.g. from the Policy WG or Kyverno) and they are picked up without a restart",
    );
  }

  /** For logs: a failed write's reason in one line. */
  static reason(error: unknown): string {
    return reasonOf(error);
  }
}
