// The chart against a real API server: every rendered object passes a server-side dry run
// (defaults, every optional feature on, and deploy/s3-vpce-guard.yaml), the RBAC grants what
// the code needs and nothing more, and the Deployment's command line starts `serve`.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import {
  describeIntegration,
  rawKubeRequest,
  repoRoot,
  startControlPlane,
  writeKubeConfigFile,
  type ControlPlane,
} from "../harness/control-plane.js";
import { ALL_FEATURES, chartDir, deployDir, findDoc, helm, NAMESPACE, parseManifests, renderChart, type KubeDoc } from "../chart/render.js";

const FIELD_MANAGER = "s3vg-chart-test";
const chartCrdsDir = path.join(repoRoot, "test/crds/chart");
const SERVICE_ACCOUNT_USER = `system:serviceaccount:${NAMESPACE}:s3-vpce-guard`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface ApiResourceList {
  resources: Array<{ name: string; kind: string; namespaced: boolean }>;
}

describeIntegration(
  "Helm chart on a real API server",
  () => {
    let controlPlane: ControlPlane;
    const discovery = new Map<string, ApiResourceList>();

    /** REST path of an object, from the API server's discovery of its apiVersion. */
    const objectPath = async (doc: KubeDoc): Promise<string> => {
      const base = doc.apiVersion.includes("/") ? `/apis/${doc.apiVersion}` : `/api/${doc.apiVersion}`;
      let list = discovery.get(base);
      if (!list) {
        const response = await rawKubeRequest(controlPlane.kubeConfig, { method: "GET", path: base });
        if (response.statusCode !== 200) throw new Error(`discovery of ${base} answered HTTP ${response.statusCode}: ${response.body}`);
        list = JSON.parse(response.body) as ApiResourceList;
        discovery.set(base, list);
      }
      const resource = list.resources.find((r) => r.kind === doc.kind && !r.name.includes("/"));
      if (!resource) throw new Error(`the API server serves no ${doc.kind} in ${doc.apiVersion}`);
      const namespace = resource.namespaced ? `/namespaces/${doc.metadata.namespace ?? "default"}` : "";
      return `${base}${namespace}/${resource.name}/${doc.metadata.name}`;
    };

    /** Server-side apply; dryRun=All validates and admits without storing. */
    const apply = async (doc: KubeDoc, options: { dryRun: boolean }) => {
      const query = `fieldManager=${FIELD_MANAGER}&force=true${options.dryRun ? "&dryRun=All" : ""}`;
      return rawKubeRequest(controlPlane.kubeConfig, {
        method: "PATCH",
        path: `${await objectPath(doc)}?${query}`,
        body: doc,
        contentType: "application/apply-patch+yaml",
      });
    };

    const expectAllAccepted = async (docs: KubeDoc[]) => {
      const rejected: string[] = [];
      for (const doc of docs) {
        const response = await apply(doc, { dryRun: true });
        if (response.statusCode !== 200 && response.statusCode !== 201)
          rejected.push(`${doc.kind}/${doc.metadata.name}: HTTP ${response.statusCode} ${response.body}`);
      }
      expect(rejected).toEqual([]);
    };

    const installChartCrds = async () => {
      const files = readdirSync(chartCrdsDir).filter((f) => f.endsWith(".yaml"));
      const names: string[] = [];
      for (const file of files) {
        for (const document of parseAllDocuments(readFileSync(path.join(chartCrdsDir, file), "utf8"))) {
          const crd = document.toJS() as KubeDoc;
          const response = await rawKubeRequest(controlPlane.kubeConfig, {
            method: "PATCH",
            path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}?fieldManager=${FIELD_MANAGER}&force=true`,
            body: crd,
            contentType: "application/apply-patch+yaml",
          });
          if (response.statusCode !== 200 && response.statusCode !== 201)
            throw new Error(`${file}: HTTP ${response.statusCode} ${response.body}`);
          names.push(crd.metadata.name);
        }
      }
      // Established, and the new kinds in discovery (the dry runs look them up there).
      for (const name of names) {
        const deadline = Date.now() + 60_000;
        for (;;) {
          const response = await rawKubeRequest(controlPlane.kubeConfig, {
            method: "GET",
            path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
          });
          const conditions =
            (JSON.parse(response.body) as { status?: { conditions?: Array<{ type: string; status: string }> } }).status?.conditions ?? [];
          if (conditions.some((c) => c.type === "Established" && c.status === "True")) break;
          if (Date.now() > deadline) throw new Error(`CRD ${name} not Established after 60 s`);
          await sleep(200);
        }
      }
    };

    beforeAll(async () => {
      controlPlane = await startControlPlane();
      await installChartCrds();
      // Namespaced objects need their namespace for real, even in a dry run.
      const created = await rawKubeRequest(controlPlane.kubeConfig, {
        method: "POST",
        path: "/api/v1/namespaces",
        body: { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } },
      });
      expect(created.statusCode).toBe(201);
    });

    afterAll(async () => {
      await controlPlane?.stop();
    });

    it("accepts every object rendered with defaults (server-side dry run)", async () => {
      const docs = renderChart();
      expect(docs.length).toBeGreaterThanOrEqual(11);
      await expectAllAccepted(docs);
    });

    it("accepts every object with cert-manager, ServiceMonitor, PrometheusRule, dashboard, IRSA and a custom config", async () => {
      const docs = renderChart(ALL_FEATURES);
      expect(docs.map((d) => d.kind)).toEqual(expect.arrayContaining(["Certificate", "Issuer", "ServiceMonitor", "PrometheusRule"]));
      await expectAllAccepted(docs);
    });

    it("accepts deploy/s3-vpce-guard.yaml, placeholder certificate included", async () => {
      await expectAllAccepted(parseManifests(readFileSync(path.join(deployDir, "s3-vpce-guard.yaml"), "utf8")));
    });

    it("stores nothing in a dry run, and rejects what the API server or a CRD schema forbids", async () => {
      const docs = renderChart(ALL_FEATURES);
      const deployment = findDoc(docs, "Deployment");
      const read = await rawKubeRequest(controlPlane.kubeConfig, { method: "GET", path: await objectPath(deployment) });
      expect(read.statusCode).toBe(404);
      const badPort = structuredClone(deployment) as KubeDoc & {
        spec: { template: { spec: { containers: Array<{ ports: Array<{ containerPort: number }> }> } } };
      };
      const port = badPort.spec.template.spec.containers[0]?.ports[0];
      if (port) port.containerPort = 70_000;
      expect((await apply(badPort, { dryRun: true })).statusCode).toBe(422);
      const badRule = structuredClone(findDoc(docs, "PrometheusRule")) as KubeDoc & {
        spec: { groups: Array<{ rules: Array<{ for?: string }> }> };
      };
      const rule = badRule.spec.groups[0]?.rules[0];
      if (rule) rule.for = "ten minutes";
      expect((await apply(badRule, { dryRun: true })).statusCode).toBe(422);
    });

    it("lets the service account do what the code does, and no more", async () => {
      const docs = renderChart();
      for (const doc of docs.filter((d) =>
        ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"].includes(d.kind),
      )) {
        const response = await apply(doc, { dryRun: false });
        expect(response.statusCode, `${doc.kind}/${doc.metadata.name}: ${response.body}`).toBeLessThan(300);
      }
      const allowed = async (verb: string, group: string, resource: string, namespace?: string): Promise<boolean> => {
        const review = {
          apiVersion: "authorization.k8s.io/v1",
          kind: "SubjectAccessReview",
          spec: {
            user: SERVICE_ACCOUNT_USER,
            groups: ["system:serviceaccounts", `system:serviceaccounts:${NAMESPACE}`, "system:authenticated"],
            resourceAttributes: { verb, group, resource, ...(namespace ? { namespace } : {}) },
          },
        };
        const response = await rawKubeRequest(controlPlane.kubeConfig, {
          method: "POST",
          path: "/apis/authorization.k8s.io/v1/subjectaccessreviews",
          body: review,
        });
        expect(response.statusCode).toBe(201);
        return (JSON.parse(response.body) as { status: { allowed: boolean } }).status.allowed;
      };
      // RBAC is additive: wait until the authorizer's cache has the new bindings.
      const deadline = Date.now() + 30_000;
      while (!(await allowed("watch", "s3.aws.upbound.io", "buckets")) && Date.now() < deadline) await sleep(200);
      const yes: Array<[string, string, string, string?]> = [
        ["list", "ec2.aws.upbound.io", "vpcendpoints"],
        ["watch", "s3.services.k8s.aws", "buckets", "team-a"],
        ["list", "", "namespaces"],
        ["patch", "wgpolicyk8s.io", "policyreports", "team-a"],
        ["delete", "wgpolicyk8s.io", "clusterpolicyreports"],
        ["create", "", "events", "team-a"],
        ["update", "coordination.k8s.io", "leases", NAMESPACE],
        ["create", "coordination.k8s.io", "leases", NAMESPACE],
      ];
      const no: Array<[string, string, string, string?]> = [
        ["create", "s3.aws.upbound.io", "buckets"],
        ["update", "ec2.aws.upbound.io", "vpcendpoints"],
        ["get", "", "secrets", NAMESPACE],
        ["list", "", "configmaps", "team-a"],
        ["update", "coordination.k8s.io", "leases", "kube-system"],
        ["delete", "coordination.k8s.io", "leases", NAMESPACE],
        ["patch", "admissionregistration.k8s.io", "validatingwebhookconfigurations"],
        ["delete", "", "events", "team-a"],
        ["watch", "apiextensions.k8s.io", "customresourcedefinitions"],
      ];
      for (const [verb, group, resource, namespace] of yes)
        expect(await allowed(verb, group, resource, namespace), `${verb} ${group}/${resource}`).toBe(true);
      for (const [verb, group, resource, namespace] of no)
        expect(await allowed(verb, group, resource, namespace), `${verb} ${group}/${resource}`).toBe(false);
    });

    it("helm install needs nothing else, and helm upgrade keeps the generated certificate", async () => {
      // Its own release and namespace: the objects above were applied without Helm's ownership.
      const kubeconfig = writeKubeConfigFile(controlPlane);
      const release = ["guard", chartDir, "--namespace", "guard-system", "--kubeconfig", kubeconfig];
      const run = (args: string[]) => {
        const result = helm(args);
        expect(result.status, `helm ${args.join(" ")}:\n${result.stderr}`).toBe(0);
      };
      const tlsData = async () => {
        const secret = await rawKubeRequest(controlPlane.kubeConfig, {
          method: "GET",
          path: "/api/v1/namespaces/guard-system/secrets/guard-s3-vpce-guard-tls",
        });
        expect(secret.statusCode).toBe(200);
        return (JSON.parse(secret.body) as { data: Record<string, string> }).data;
      };
      const caBundle = async () => {
        const configuration = await rawKubeRequest(controlPlane.kubeConfig, {
          method: "GET",
          path: "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/guard-s3-vpce-guard",
        });
        return configuration.statusCode === 200
          ? (JSON.parse(configuration.body) as { webhooks: Array<{ clientConfig: { caBundle?: string } }> }).webhooks[0]?.clientConfig
              .caBundle
          : undefined;
      };
      run(["install", ...release, "--create-namespace"]);
      const installed = await tlsData();
      expect(installed["ca.crt"]).toMatch(/^LS0t/);
      expect(await caBundle()).toBe(installed["ca.crt"]);
      run(["upgrade", ...release, "--set", "webhook.timeoutSeconds=7"]);
      expect(await tlsData()).toEqual(installed);
      expect(await caBundle()).toBe(installed["ca.crt"]);
      run(["uninstall", "guard", "--namespace", "guard-system", "--kubeconfig", kubeconfig, "--wait"]);
      expect(await caBundle()).toBeUndefined();
    });

    it("the Deployment's command line starts serve, which takes the release's Lease", async () => {
      const docs = renderChart();
      const container = (
        findDoc(docs, "Deployment") as KubeDoc & { spec: { template: { spec: { containers: Array<{ args: string[] }> } } } }
      ).spec.template.spec.containers[0];
      const work = mkdtempSync(path.join(os.tmpdir(), "s3vg-chart-serve-"));
      const cli = path.join(repoRoot, "dist/src/cli/main.js");
      let child: ChildProcess | undefined;
      let stopChild = async (): Promise<void> => undefined;
      try {
        const cert = spawnSync(process.execPath, [cli, "cert", "--out", work], { encoding: "utf8" });
        expect(cert.status, `${cli} cert (run npm run build first): ${cert.stderr}`).toBe(0);
        const configMap = findDoc(docs, "ConfigMap", "s3-vpce-guard-config") as KubeDoc & { data: Record<string, string> };
        writeFileSync(path.join(work, "config.yaml"), configMap.data["config.yaml"] ?? "");
        // The pod's paths and ports, moved to this machine: files in the temp dir, free ports.
        const local: Record<string, string> = {
          "/tls/tls.crt": path.join(work, "tls.crt"),
          "/tls/tls.key": path.join(work, "tls.key"),
          "/config/config.yaml": path.join(work, "config.yaml"),
        };
        const args = (container?.args ?? []).map(
          (arg, i, all) => local[arg] ?? (all[i - 1] === "--port" || all[i - 1] === "--metrics-port" ? "0" : arg),
        );
        const podName = "s3-vpce-guard-chart-test";
        child = spawn(process.execPath, [cli, ...args], {
          env: {
            ...process.env,
            KUBECONFIG: writeKubeConfigFile(controlPlane, path.join(work, "kubeconfig")),
            POD_NAME: podName,
            POD_NAMESPACE: NAMESPACE,
          },
          stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        let exitCode: number | null | undefined;
        const exited = new Promise<void>((resolve) =>
          (child as ChildProcess).once("exit", (code) => {
            exitCode = code;
            resolve();
          }),
        );
        stopChild = async () => {
          if (exitCode !== undefined) return;
          child?.kill("SIGTERM");
          const killer = setTimeout(() => child?.kill("SIGKILL"), 10_000);
          await exited;
          clearTimeout(killer);
        };
        let ports: { port: number; metricsPort: number } | undefined;
        const listenDeadline = Date.now() + 30_000;
        while (!ports) {
          const line = stdout.split("\n").find((l) => l.includes('"msg":"ports"'));
          if (line) ports = JSON.parse(line) as { port: number; metricsPort: number };
          else if (exitCode !== undefined)
            throw new Error(`s3-vpce-guard ${args.join(" ")} exited with ${exitCode} before listening:\n${stderr.slice(-2000)}`);
          else if (Date.now() > listenDeadline) throw new Error(`s3-vpce-guard did not listen within 30 s:\n${stderr.slice(-2000)}`);
          else await sleep(100);
        }
        const webhookPort = ports.port;
        const healthz = await new Promise<number>((resolve, reject) => {
          https
            .get({ host: "127.0.0.1", port: webhookPort, path: "/healthz", rejectUnauthorized: false }, (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            })
            .on("error", reject);
        });
        expect(healthz).toBe(200);
        // The reconciler runs in the same process and elects itself on the chart's Lease.
        const deadline = Date.now() + 30_000;
        let holder: string | undefined;
        while (Date.now() < deadline && holder !== podName) {
          const lease = await rawKubeRequest(controlPlane.kubeConfig, {
            method: "GET",
            path: `/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases/s3-vpce-guard`,
          });
          if (lease.statusCode === 200) holder = (JSON.parse(lease.body) as { spec?: { holderIdentity?: string } }).spec?.holderIdentity;
          if (holder !== podName) await sleep(250);
        }
        expect(holder, `Lease ${NAMESPACE}/s3-vpce-guard is not held by ${podName}; serve log:\n${stderr.slice(-2000)}`).toBe(podName);
      } finally {
        await stopChild();
        rmSync(work, { recursive: true, force: true });
      }
    });
  },
  ["helm", "control-plane"],
);
