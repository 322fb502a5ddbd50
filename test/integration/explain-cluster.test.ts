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
import { isIdentityKind } from "../../src/app/explain/identity.js";
import { describeIntegration, rawKubeRequest, repoRoot, startControlPlane, writeKubeConfigFile, type ControlPlane } from "../harness/control-plane.js";
import { installCrds, objectPath } from "../harness/crds.js";

const cli = path.join(repoRoot, "dist/src/cli/main.js");
const ROLE = "arn:aws:iam::111122223333:role/payments-app";

describeIntegration("explain and map --cluster against a real API server", () => {
  let controlPlane: ControlPlane;
  let work: string;
  let kubeconfigFile: string;
  const example = parseAllDocuments(readFileSync(path.join(repoRoot, "examples/explain/payments.yaml"), "utf8")).map((d) => d.toJS() as KubeObject);
  const inCluster = example.filter((o) => !isIdentityKind(o));
  const iam = example.filter((o) => isIdentityKind(o));

  function cliRun(args: string[]) {
    const r = spawnSync(process.execPath, [cli, ...args], { cwd: work, encoding: "utf8", timeout: 120_000, env: { ...process.env, KUBECONFIG: kubeconfigFile, NO_COLOR: "1" } });
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
    const r = cliRun(["explain", "--cluster", "--bucket", "acme-payments-data", "--endpoint", "payments-s3-gateway", "--principal", ROLE, "-a", "s3:PutObject", "-o", "json", "iam.yaml"]);
    expect(r.code).toBe(1);
    const put = JSON.parse(r.stdout).paths[0].actions[0];
    expect(put.outcome).toBe("denied");
    expect(put.fixes[0]).toMatchObject({ layer: "identity", source: "Role payments-app" });
  });

  it("map --cluster draws the same graph as from files", () => {
    const cluster = cliRun(["map", "--cluster"]);
    expect(cluster.code).toBe(0);
    expect(cluster.stdout).toBe(cliRun(["map", "cluster-objects.yaml"]).stdout);
    expect(cluster.stdout).toContain('label="some"');
  });
});
