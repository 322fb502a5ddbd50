// Installs the CRDs that s3-vpce-guard works on into a test control plane:
// the providers' own CRDs from ../shared/crds when that folder exists, else
// the smaller test CRDs in test/crds. PolicyReport CRDs always come from test/crds.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { ApiextensionsV1Api, type KubeConfig, type KubernetesObject, type V1CustomResourceDefinition } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { WATCHED_KINDS } from "../../src/core/adapters/index.js";
import { rawKubeRequest, repoRoot, waitForCustomResourcesServed } from "./control-plane.js";

export const sharedCrdsDir = path.resolve(repoRoot, "../shared/crds");
export const testCrdsDir = path.join(repoRoot, "test/crds");
/** Folders of ../shared/crds whose top-level *.yaml are CRDs (not examples/, not unmerged-pr339/). */
const upstreamFamilies = ["upjet-aws", "provider-aws-community", "ack"];
const isPolicyReportCrd = (file: string): boolean => path.basename(file).startsWith("wgpolicyk8s.io_");

export type CrdSource = "upstream" | "test";

export interface InstalledCrds {
  source: CrdSource;
  files: string[];
  crds: V1CustomResourceDefinition[];
}

export function upstreamCrdsAvailable(): boolean {
  return upstreamFamilies.every((family) => existsSync(path.join(sharedCrdsDir, family)));
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => path.join(dir, entry.name))
    .sort();
}

/** The CRD files installCrds would install for `source`. */
export function crdFiles(source: CrdSource): string[] {
  const policyReports = yamlFiles(testCrdsDir).filter(isPolicyReportCrd);
  if (source === "test") return yamlFiles(testCrdsDir);
  return [...upstreamFamilies.flatMap((family) => yamlFiles(path.join(sharedCrdsDir, family))), ...policyReports];
}

function readCrds(file: string): V1CustomResourceDefinition[] {
  const crds: V1CustomResourceDefinition[] = [];
  for (const document of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (document.errors.length > 0) throw new Error(`${file}: not valid YAML: ${document.errors[0]?.message}`);
    const value = document.toJS() as KubernetesObject | null;
    if (value === null) continue;
    if (value.kind !== "CustomResourceDefinition") throw new Error(`${file}: expected kind CustomResourceDefinition, found ${value.kind}`);
    crds.push(value as V1CustomResourceDefinition);
  }
  return crds;
}

/** Server-side apply of the CRD exactly as written (creates or updates). */
async function apply(kubeConfig: KubeConfig, crd: V1CustomResourceDefinition): Promise<void> {
  const name = crd.metadata?.name;
  if (!name) throw new Error(`CRD for ${crd.spec.group}/${crd.spec.names.kind} has no metadata.name`);
  const response = await rawKubeRequest(kubeConfig, {
    method: "PATCH",
    path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}?fieldManager=s3vg-test-harness&force=true`,
    body: crd,
    contentType: "application/apply-patch+yaml",
  });
  if (response.statusCode !== 200 && response.statusCode !== 201) {
    throw new Error(`applying CRD ${name} failed with HTTP ${response.statusCode}: ${response.body}`);
  }
}

async function waitEstablished(api: ApiextensionsV1Api, name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastConditions = "none";
  while (Date.now() < deadline) {
    const crd = await api.readCustomResourceDefinition({ name });
    const conditions = crd.status?.conditions ?? [];
    const established = conditions.some((c) => c.type === "Established" && c.status === "True");
    const namesAccepted = conditions.some((c) => c.type === "NamesAccepted" && c.status === "True");
    if (established && namesAccepted) return;
    lastConditions = conditions.map((c) => `${c.type}=${c.status}${c.message ? ` (${c.message})` : ""}`).join(", ");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`CRD ${name} not Established after ${timeoutMs} ms; conditions: ${lastConditions}`);
}

/**
 * Installs every CRD and waits until each is Established. `upstream`:
 * undefined = upstream CRDs when ../shared/crds exists, else test CRDs;
 * true = upstream or fail; false = test CRDs.
 */
export async function installCrds(
  kubeConfig: KubeConfig,
  options: { upstream?: boolean; timeoutMs?: number } = {},
): Promise<InstalledCrds> {
  const available = upstreamCrdsAvailable();
  if (options.upstream === true && !available) {
    throw new Error(`upstream CRDs requested but ${sharedCrdsDir} (with ${upstreamFamilies.join(", ")}) is missing`);
  }
  const source: CrdSource = (options.upstream ?? available) ? "upstream" : "test";
  const files = crdFiles(source);
  const crds = files.flatMap(readCrds);
  const api = kubeConfig.makeApiClient(ApiextensionsV1Api);
  for (const crd of crds) await apply(kubeConfig, crd);
  await Promise.all(crds.map((crd) => waitEstablished(api, crd.metadata?.name ?? "", options.timeoutMs ?? 60_000)));
  await waitForCustomResourcesServed(kubeConfig, options.timeoutMs ?? 60_000);
  return { source, files, crds };
}

/** Every group/version/kind served by the CRDs, with scope and plural, for building objects and paths. */
export interface ServedKind {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

export function servedKinds(crds: V1CustomResourceDefinition[]): ServedKind[] {
  return crds.flatMap((crd) =>
    crd.spec.versions
      .filter((version) => version.served)
      .map((version) => ({
        group: crd.spec.group,
        version: version.name,
        kind: crd.spec.names.kind,
        plural: crd.spec.names.plural,
        namespaced: crd.spec.scope === "Namespaced",
      })),
  );
}

/** REST path of a collection, e.g. /apis/s3.aws.upbound.io/v1beta2/buckets. */
export function collectionPath(kind: ServedKind, namespace?: string): string {
  const ns = kind.namespaced && namespace ? `/namespaces/${namespace}` : "";
  return `/apis/${kind.group}/${kind.version}${ns}/${kind.plural}`;
}

/** REST path of a watched kind's object (or of its collection, without `name`). */
export function objectPath(o: { apiVersion: string; kind: string; metadata: { namespace?: string } }, name?: string): string {
  const [group, version] = o.apiVersion.split("/");
  const kind = WATCHED_KINDS.find((k) => k.group === group && k.version === version && k.kind === o.kind);
  if (!kind) throw new Error(`not a watched kind: ${o.apiVersion} ${o.kind}`);
  return `${collectionPath(kind, o.metadata.namespace)}${name ? `/${name}` : ""}`;
}

const examplePolicy = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::example-bucket/*" }],
});

/**
 * A minimal object of `kind` that both the test CRDs and the providers' CRDs
 * accept (required region / serviceName / locationConstraint / policy / name).
 */
export function minimalObject(kind: ServedKind, name: string, namespace: string): KubernetesObject & { spec: Record<string, unknown> } {
  const metadata = { name, ...(kind.namespaced ? { namespace } : {}) };
  const apiVersion = `${kind.group}/${kind.version}`;
  const base = { apiVersion, kind: kind.kind, metadata };
  if (kind.group.endsWith(".services.k8s.aws")) {
    const spec: Record<string, unknown> =
      kind.kind === "Bucket"
        ? { name }
        : { serviceName: "com.amazonaws.us-east-1.s3", vpcID: "vpc-0123456789abcdef0", vpcEndpointType: "Gateway" };
    return { ...base, spec };
  }
  if (kind.group.endsWith(".aws.crossplane.io")) {
    const forProvider: Record<string, unknown> =
      kind.kind === "Bucket"
        ? { locationConstraint: "us-east-1" }
        : kind.kind === "BucketPolicy"
          ? { region: "us-east-1", bucketName: "example-bucket", rawPolicy: examplePolicy }
          : { region: "us-east-1", serviceName: "com.amazonaws.us-east-1.s3", vpcEndpointType: "Gateway", vpcId: "vpc-0123456789abcdef0" };
    return { ...base, spec: { forProvider } };
  }
  const forProvider: Record<string, unknown> = { region: "us-east-1" };
  if (kind.kind === "BucketPolicy") Object.assign(forProvider, { bucket: "example-bucket", policy: examplePolicy });
  if (kind.kind === "VPCEndpoint")
    Object.assign(forProvider, { serviceName: "com.amazonaws.us-east-1.s3", vpcEndpointType: "Gateway", vpcId: "vpc-0123456789abcdef0" });
  if (kind.kind === "VPCEndpointRouteTableAssociation")
    Object.assign(forProvider, { routeTableId: "rtb-0123456789abcdef0", vpcEndpointId: "vpce-0123456789abcdef0" });
  if (kind.kind === "VPCEndpointSubnetAssociation")
    Object.assign(forProvider, { subnetId: "subnet-0123456789abcdef0", vpcEndpointId: "vpce-0123456789abcdef0" });
  return { ...base, spec: { forProvider } };
}
