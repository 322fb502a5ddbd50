// `explain --cluster` and `map --cluster` against a real kube-apiserver: the endpoints, buckets
// and bucket policies are read from the cluster (read-only, as check --cluster reads them), the
// role's IAM manifests from a file given beside it; the answers equal those for the same
// objects given as files.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import type { KubeObject } from "../../src/core/adapters/types.js";
import { IDENTITY_KINDS, isIdentityKind } from "../../src/app/explain/identity.js";
import {
  describeIntegration,
  rawKubeRequest,
  repoRoot,
  startControlPlane,
  waitForCustomResourcesServed,
  writeKubeConfigFile,
  type ControlPlane,
} from "../harness/control-plane.js";
import { installCrds, objectPath } from "../harness/crds.js";

const cli = path.join(repoRoot, "dist/src/cli/main.js");
const ROLE = "arn:aws:iam::111122223333:role/payments-app";

describeIntegration("explain and map --cluster against a real API server", () => {
  let controlPlane: ControlPlane;
  let work: string;
  let kubeconfigFile: string;
  const example = parseAllDocuments(readFileSync(path.join(repoRoot, "examples/explain/payments.yaml"), "utf8")).map(
    (d) => d.toJS() as KubeObject,
  );
  const inCluster = example.filter((o) => !isIdentityKind(o));
  const iam = example.filter((o) => isIdentityKind(o));

  function cliRun(args: string[]) {
    const r = spawnSync(process.execPath, [cli, ...args], {
      cwd: work,
      encoding: "utf8",
      timeout: 120_000,
      env: { ...process.env, KUBECONFIG: kubeconfigFile, NO_COLOR: "1" },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), "s3vg-explain-cluster-"));
    controlPlane = await startControlPlane();
    await installCrds(controlPlane.kubeConfig);
    for (const o of inCluster) {
      const response = await rawKubeRequest(controlPlane.kubeConfig, { method: "POST", path: objectPath(o), body: o });
      if (response.statusCode >= 300) throw new Error(`POST ${objectPath(o)} answered HTTP ${response.statusCode}: ${response.body}`);
    }
    kubeconfigFile = writeKubeConfigFile(controlPlane, path.join(work, "admin.kubeconfig"));
    writeFileSync(path.join(work, "cluster-objects.yaml"), inCluster.map((o) => stringify(o)).join("---\n"));
    writeFileSync(path.join(work, "iam.yaml"), iam.map((o) => stringify(o)).join("---\n"));
  });

  afterAll(async () => {
    await controlPlane?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("explain --cluster answers as for the same objects as files", () => {
    const cluster = cliRun(["explain", "--cluster", "--bucket", "acme-payments-data", "-o", "json"]);
    expect(cluster.stderr).toBe("");
    expect(cluster.code).toBe(0);
    const files = cliRun(["explain", "--bucket", "acme-payments-data", "-o", "json", "cluster-objects.yaml"]);
    expect(JSON.parse(cluster.stdout)).toEqual(JSON.parse(files.stdout));
    const out = JSON.parse(cluster.stdout) as { paths: { endpoint: { resource: string }; actions: { outcome: string }[] }[] };
    expect(out.paths.map((p) => [p.endpoint.resource, p.actions.map((a) => a.outcome)])).toEqual([
      ["VPCEndpoint analytics-s3-gateway", ["denied", "denied", "denied"]],
      ["VPCEndpoint payments-s3-gateway", ["conditional", "conditional", "conditional"]],
    ]);
  });

  it("explain --cluster with the role's IAM manifests as a file: the identity layer decides PutObject", () => {
    const r = cliRun([
      "explain",
      "--cluster",
      "--bucket",
      "acme-payments-data",
      "--endpoint",
      "payments-s3-gateway",
      "--principal",
      ROLE,
      "-a",
      "s3:PutObject",
      "-o",
      "json",
      "iam.yaml",
    ]);
    expect(r.code).toBe(1);
    const put = JSON.parse(r.stdout).paths[0].actions[0];
    expect(put.outcome).toBe("denied");
    expect(put.fixes[0]).toMatchObject({ layer: "identity", source: "Role payments-app" });
  });

  it("explain --cluster --principal reads the role's IAM manifests from the cluster too (Upjet and ACK IAM kinds)", async () => {
    const args = ["explain", "--bucket", "acme-payments-data", "--endpoint", "payments-s3-gateway", "--principal", ROLE, "-o", "json"];
    // A cluster that does not serve the IAM kinds: nothing to list, no warning, the identity layer is not evaluated.
    const before = cliRun([...args, "--cluster"]);
    expect(before.stderr).toBe("");
    expect(JSON.parse(before.stdout).identity).toBeUndefined();
    // Minimal CRDs for every IAM kind explain lists, then the example's IAM objects in the cluster.
    for (const k of IDENTITY_KINDS) {
      const crd = {
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        metadata: { name: `${k.plural}.${k.group}` },
        spec: {
          group: k.group,
          scope: k.namespaced ? "Namespaced" : "Cluster",
          names: { kind: k.kind, plural: k.plural, singular: k.kind.toLowerCase(), listKind: `${k.kind}List` },
          versions: [
            {
              name: k.version,
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
            },
          ],
        },
      };
      const response = await rawKubeRequest(controlPlane.kubeConfig, {
        method: "POST",
        path: "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
        body: crd,
      });
      if (response.statusCode >= 300 && response.statusCode !== 409)
        throw new Error(`CRD ${crd.metadata.name}: HTTP ${response.statusCode}: ${response.body}`);
    }
    await waitForCustomResourcesServed(controlPlane.kubeConfig);
    for (const o of iam) {
      const kind = IDENTITY_KINDS.find((k) => `${k.group}/${k.version}` === o.apiVersion && k.kind === o.kind)!;
      const response = await rawKubeRequest(controlPlane.kubeConfig, {
        method: "POST",
        path: `/apis/${kind.group}/${kind.version}/${kind.plural}`,
        body: o,
      });
      if (response.statusCode >= 300) throw new Error(`POST ${o.kind} ${o.metadata.name}: HTTP ${response.statusCode}: ${response.body}`);
    }
    const cluster = cliRun([...args, "--cluster"]);
    expect(cluster.stderr).toBe("");
    expect(cluster.code).toBe(1);
    const out = JSON.parse(cluster.stdout);
    expect(out.identity.sources).toEqual([
      "Role payments-app spec.forProvider.inlinePolicy[0].policy",
      "Policy payments-list spec.forProvider.policy",
    ]);
    expect(out.paths[0].actions.map((a: { action: string; outcome: string }) => [a.action, a.outcome])).toEqual([
      ["s3:GetObject", "conditional"],
      ["s3:PutObject", "denied"],
      ["s3:ListBucket", "conditional"],
    ]);
    // The same answer as from the same objects given as files.
    expect(out).toEqual(JSON.parse(cliRun([...args, "cluster-objects.yaml", "iam.yaml"]).stdout));
  });

  it("map --cluster draws the same graph as from files", () => {
    const cluster = cliRun(["map", "--cluster"]);
    expect(cluster.code).toBe(0);
    expect(cluster.stdout).toBe(cliRun(["map", "cluster-objects.yaml"]).stdout);
    expect(cluster.stdout).toContain('label="some"');
  });
});
