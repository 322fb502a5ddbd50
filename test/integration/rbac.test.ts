// The chart's RBAC is exactly what the code needs, proven by running it: the real `serve` and
// `reconcile` processes (the Deployment's command line) run under a ServiceAccount bound to the
// chart's ClusterRole and leader-election Role, with a bearer token from the TokenRequest API,
// against a real API server that authorizes with RBAC. They go through every path that touches
// the API — list/watch of every watched kind and of Namespaces, PolicyReport and
// ClusterPolicyReport create/patch/delete (a stale report and emptied scopes deleted), Event
// create and the new leader's list of earlier Events, Lease create, renew, release and takeover — and neither
// logs a 403. A negative control binds a copy of the ClusterRole without the PolicyReport rule
// to a second ServiceAccount: its `reconcile` logs the 403 naming the resource, the verb and
// the fix, and keeps running.
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { WATCHED_KINDS } from "../../src/core/adapters/index.js";
import type { KubeObject } from "../../src/core/adapters/types.js";
import { findDoc, NAMESPACE, renderChart, type KubeDoc } from "../chart/render.js";
import {
  createCertificateAuthority,
  describeIntegration,
  issueServingCert,
  rawKubeRequest,
  repoRoot,
  spawnManaged,
  startControlPlane,
  type ControlPlane,
  type ManagedProcess,
} from "../harness/control-plane.js";
import { installCrds, objectPath, servedKinds } from "../harness/crds.js";
import {
  ackBucket,
  ackEndpoint,
  bucketGrant,
  communityBucketPolicy,
  communityEndpoint,
  denyUnlessEndpoint,
  PRIVATE_SOURCE_IP_POLICY,
  upjetBucketPolicy,
  upjetEndpoint,
  upjetRouteTableAssociation,
} from "../helpers/manifests.js";
import { until } from "../harness/wait.js";

const cli = path.join(repoRoot, "dist/src/cli/main.js");
const FIELD_MANAGER = "s3vg-rbac-test";
const RBAC_KINDS = ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"];
const TEAM = "s3vg-rbac-team";
const LONE = "s3vg-rbac-lone";
const STALE = "s3vg-rbac-stale";
const VPCE = "vpce-0a1b2c3d4e5f67890";
const SERVE_POD = "s3-vpce-guard-serve-0";
const RECONCILE_POD = "s3-vpce-guard-reconcile-0";
const NEGATIVE_SA = "s3vg-no-reports";
const NEGATIVE_POD = "s3vg-no-reports-0";
const REPORTS = "/apis/wgpolicyk8s.io/v1alpha2";

/** REST path of the RBAC objects the chart renders. */
function rbacPath(doc: KubeDoc): string {
  const ns = doc.metadata.namespace ?? NAMESPACE;
  const rbac = "/apis/rbac.authorization.k8s.io/v1";
  switch (doc.kind) {
    case "ServiceAccount":
      return `/api/v1/namespaces/${ns}/serviceaccounts/${doc.metadata.name}`;
    case "ClusterRole":
      return `${rbac}/clusterroles/${doc.metadata.name}`;
    case "ClusterRoleBinding":
      return `${rbac}/clusterrolebindings/${doc.metadata.name}`;
    case "Role":
      return `${rbac}/namespaces/${ns}/roles/${doc.metadata.name}`;
    case "RoleBinding":
      return `${rbac}/namespaces/${ns}/rolebindings/${doc.metadata.name}`;
    default:
      throw new Error(`not an RBAC kind: ${doc.kind}`);
  }
}

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

interface LogLine {
  raw: string;
  json?: { level?: string; msg?: string; reason?: string; [key: string]: unknown };
}

/** A 403 in any form the code or client-node could log it. */
const FORBIDDEN = /forbidden|HTTP[- ](Code: )?403\b|"(status|statusCode|code)":403\b/i;

/** A real CLI process (node dist/src/cli/main.js …), its stdout and stderr in one log file. */
interface CliProcess {
  name: string;
  managed: ManagedProcess;
  ports: Record<string, number>;
  lines(): LogLine[];
  tail(n?: number): string;
  alive(): boolean;
}

interface Event {
  metadata: { name: string; namespace: string };
  involvedObject: { kind: string; name: string };
  reason: string;
  count?: number;
  lastTimestamp?: string;
  reportingInstance?: string;
  source?: { component?: string };
}

interface Report {
  metadata: { labels?: Record<string, string>; managedFields?: Array<{ manager: string; operation: string }> };
  summary: { pass: number; fail: number; warn: number };
  results: Array<{ rule: string; result: string; resources: Array<{ kind: string; name: string }> }>;
}

describeIntegration(
  "the chart's RBAC drives serve and reconcile against a real API server",
  () => {
    let controlPlane: ControlPlane;
    let work: string;
    let docs: KubeDoc[];
    let served: Set<string>;
    const processes: CliProcess[] = [];
    let serve: CliProcess;
    let reconcile: CliProcess;
    let serveMetrics = "";

    const admin = async (method: string, apiPath: string, body?: unknown, contentType?: string) => {
      const response = await rawKubeRequest(controlPlane.kubeConfig, {
        method,
        path: apiPath,
        body,
        ...(contentType ? { contentType } : {}),
      });
      if (response.statusCode >= 300) throw new Error(`${method} ${apiPath} answered HTTP ${response.statusCode}: ${response.body}`);
      return response.body;
    };
    const create = (o: KubeObject) => admin("POST", objectPath(o), o);
    const remove = (o: KubeObject) => admin("DELETE", objectPath(o, o.metadata.name));
    const replace = async (o: KubeObject) => {
      const current = JSON.parse(await admin("GET", objectPath(o, o.metadata.name))) as KubeObject;
      await admin("PUT", objectPath(o, o.metadata.name), {
        ...o,
        metadata: { ...o.metadata, resourceVersion: current.metadata.resourceVersion },
      });
    };
    const applyDoc = (doc: KubeDoc) =>
      admin("PATCH", `${rbacPath(doc)}?fieldManager=${FIELD_MANAGER}&force=true`, doc, "application/apply-patch+yaml");

    const reportPath = (namespace: string | null) =>
      namespace
        ? `${REPORTS}/namespaces/${namespace}/policyreports/s3-vpce-guard`
        : `${REPORTS}/clusterpolicyreports?labelSelector=${encodeURIComponent("app.kubernetes.io/managed-by=s3-vpce-guard")}`;
    /** The namespace's PolicyReport, or for null our ClusterPolicyReports (one per kind) seen as one. */
    async function report(namespace: string | null): Promise<Report | undefined> {
      const response = await rawKubeRequest(controlPlane.kubeConfig, { method: "GET", path: reportPath(namespace) });
      if (response.statusCode === 404) return undefined;
      if (response.statusCode !== 200) throw new Error(`GET ${reportPath(namespace)}: HTTP ${response.statusCode} ${response.body}`);
      if (namespace) return JSON.parse(response.body) as Report;
      const { items } = JSON.parse(response.body) as { items: Report[] };
      if (items.length === 0) return undefined;
      return {
        metadata: { managedFields: items.flatMap((r) => r.metadata.managedFields ?? []) },
        summary: items.reduce(
          (sum, r) => ({ pass: sum.pass + r.summary.pass, fail: sum.fail + r.summary.fail, warn: sum.warn + r.summary.warn }),
          { pass: 0, fail: 0, warn: 0 },
        ),
        results: items.flatMap((r) => r.results),
      };
    }
    const rulesFor = (r: Report | undefined, name: string) =>
      (r?.results ?? [])
        .filter((x) => x.resources[0]?.name === name)
        .map((x) => `${x.rule} ${x.result}`)
        .sort();

    async function eventsFor(name: string, namespace: string): Promise<Event[]> {
      const body = await admin(
        "GET",
        `/api/v1/namespaces/${namespace}/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${name}`)}`,
      );
      return (JSON.parse(body) as { items: Event[] }).items.filter((e) => e.source?.component === "s3-vpce-guard");
    }

    async function lease(
      name: string,
    ): Promise<{ holder?: string; renewTime?: string; transitions?: number; resourceVersion: string } | undefined> {
      const response = await rawKubeRequest(controlPlane.kubeConfig, {
        method: "GET",
        path: `/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases/${name}`,
      });
      if (response.statusCode === 404) return undefined;
      const l = JSON.parse(response.body) as {
        metadata: { resourceVersion: string };
        spec: { holderIdentity?: string; renewTime?: string; leaseTransitions?: number };
      };
      return {
        holder: l.spec.holderIdentity,
        renewTime: l.spec.renewTime,
        transitions: l.spec.leaseTransitions,
        resourceVersion: l.metadata.resourceVersion,
      };
    }

    /** A bearer token for the ServiceAccount (TokenRequest API) in a kubeconfig with the cluster's CA. */
    async function serviceAccountKubeConfig(serviceAccount: string): Promise<{ kubeConfig: KubeConfig; file: string }> {
      const body = await admin("POST", `/api/v1/namespaces/${NAMESPACE}/serviceaccounts/${serviceAccount}/token`, {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: { expirationSeconds: 3600 },
      });
      const token = (JSON.parse(body) as { status: { token: string } }).status.token;
      expect(token).toMatch(/^ey/);
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromOptions({
        clusters: [
          {
            name: "s3vg-test",
            server: controlPlane.server,
            caData: Buffer.from(controlPlane.caPem).toString("base64"),
            skipTLSVerify: false,
          },
        ],
        users: [{ name: serviceAccount, token }],
        contexts: [{ name: serviceAccount, cluster: "s3vg-test", user: serviceAccount, namespace: NAMESPACE }],
        currentContext: serviceAccount,
      });
      const file = path.join(work, `${serviceAccount}.kubeconfig`);
      writeFileSync(file, kubeConfig.exportConfig(), { mode: 0o600 });
      // The token authenticates and the bindings are in the authorizer's cache (RBAC is eventually consistent).
      await until(
        `${serviceAccount}'s token to list namespaces`,
        async () => (await rawKubeRequest(kubeConfig, { method: "GET", path: "/api/v1/namespaces?limit=1" })).statusCode === 200,
      );
      return { kubeConfig, file };
    }

    /** The Deployment's container args: [command, [flag, value]...]. */
    function chartCommandLine(): { command: string; flags: Array<[string, string]> } {
      const container = (
        findDoc(docs, "Deployment") as KubeDoc & { spec: { template: { spec: { containers: Array<{ args: string[] }> } } } }
      ).spec.template.spec.containers[0];
      const [command, ...rest] = container?.args ?? [];
      const flags: Array<[string, string]> = [];
      for (let i = 0; i < rest.length; i += 2) flags.push([rest[i] ?? "", rest[i + 1] ?? ""]);
      return { command: command ?? "", flags };
    }

    /** The pod's files on this machine, ports 0 (the process prints what it bound). */
    function localize(flags: Array<[string, string]>, files: Record<string, string>): string[] {
      return flags.flatMap(([flag, value]) => [flag, flag.endsWith("-port") || flag === "--port" ? "0" : (files[value] ?? value)]);
    }

    async function startCli(name: string, args: string[], kubeconfigFile: string, podName: string): Promise<CliProcess> {
      const logFile = path.join(work, `${name}.log`);
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        KUBECONFIG: kubeconfigFile,
        POD_NAME: podName,
        POD_NAMESPACE: NAMESPACE,
        LOG_LEVEL: "debug",
      };
      delete env.KUBERNETES_SERVICE_HOST;
      const managed = spawnManaged(name, process.execPath, [cli, ...args], logFile, { env });
      const read = () => {
        try {
          return readFileSync(logFile, "utf8");
        } catch {
          return "";
        }
      };
      const lines = (): LogLine[] =>
        read()
          .split("\n")
          .filter((raw) => raw.trim() !== "")
          .map((raw) => {
            try {
              return { raw, json: JSON.parse(raw) as LogLine["json"] };
            } catch {
              return { raw };
            }
          });
      const tail = (n = 40) => read().trimEnd().split("\n").slice(-n).join("\n");
      let exitCode: number | null | undefined;
      void managed.exited.then((code) => (exitCode = code));
      let ports: Record<string, number> | undefined;
      await until(
        `${name} to listen`,
        () => {
          if (exitCode !== undefined) throw new Error(`${name} (${args.join(" ")}) exited with ${exitCode} before listening:\n${tail()}`);
          const line = lines().find((l) => l.json?.msg === "ports");
          if (line?.json) ports = line.json as unknown as Record<string, number>;
          return ports !== undefined;
        },
        60_000,
        tail,
      );
      const started: CliProcess = {
        name,
        managed,
        ports: ports!,
        lines,
        tail,
        alive: () => managed.child.exitCode === null && managed.child.signalCode === null,
      };
      processes.push(started);
      return started;
    }

    async function stopCli(p: CliProcess): Promise<number | null> {
      await p.managed.stop(20_000);
      return p.managed.exited;
    }

    /** GET over HTTP, or HTTPS verified with `ca`. */
    const get = (url: string, ca?: string): Promise<{ status: number; body: string }> =>
      new Promise((resolve, reject) => {
        const onResponse = (res: http.IncomingMessage) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => (body += chunk));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        };
        const request = ca ? https.get(url, { ca }, onResponse) : http.get(url, onResponse);
        request.on("error", reject);
      });
    const scrape = async (p: CliProcess) => (await get(`http://127.0.0.1:${p.ports.metricsPort}/metrics`)).body;

    const forbiddenLines = (p: CliProcess) => p.lines().filter((l) => FORBIDDEN.test(l.raw));
    /** Warnings and errors, and anything on stderr that is not a JSON log line. */
    const troubleLines = (p: CliProcess) => p.lines().filter((l) => !l.json || ["warn", "error", "fatal"].includes(String(l.json.level)));
    // "component: message", as the lines carry them (component field, message without prefix).
    const messages = (p: CliProcess, msg: string) =>
      p
        .lines()
        .filter(
          (l) => (l.json?.component === undefined ? String(l.json?.msg) : `${String(l.json.component)}: ${String(l.json.msg)}`) === msg,
        )
        .map((l) => l.json!);

    // Objects of every family, cluster-scoped and namespaced, violating and compliant.
    const upjetOpen = upjetEndpoint({ name: "upjet-open" }); // endpoint-full-access + gateway-without-route-tables (warn)
    const upjetRestricted = upjetEndpoint({
      name: "upjet-restricted",
      annotations: { "crossplane.io/external-name": VPCE },
      policy: bucketGrant("my-secure-bucket"),
    });
    const upjetRta = upjetRouteTableAssociation({ name: "upjet-restricted-rtb", endpointRef: "upjet-restricted" });
    const upjetLocked = upjetBucketPolicy({
      name: "upjet-locked",
      bucket: "my-secure-bucket",
      policy: denyUnlessEndpoint("my-secure-bucket", VPCE),
    });
    const communityOpen = communityEndpoint({ name: "community-open" }); // endpoint-full-access (warn)
    const communityPrivateIp = communityBucketPolicy({ name: "community-private-ip", rawPolicy: PRIVATE_SOURCE_IP_POLICY }); // source-ip-condition (fail)
    const clusterScoped = [upjetOpen, upjetRestricted, upjetRta, upjetLocked, communityOpen, communityPrivateIp];
    const ackPrivateIp = ackBucket({ name: "ack-private-ip", namespace: TEAM, region: "us-east-1", policy: PRIVATE_SOURCE_IP_POLICY });
    const ackClean = ackEndpoint({ name: "ack-restricted", namespace: TEAM, policy: bucketGrant("my-secure-bucket") });
    const namespacedPrivateIp = upjetBucketPolicy({
      name: "m-private-ip",
      policy: PRIVATE_SOURCE_IP_POLICY,
      namespaced: true,
      namespace: TEAM,
    });
    const loneBucket = ackBucket({ name: "lone-private-ip", namespace: LONE, region: "us-east-1", policy: PRIVATE_SOURCE_IP_POLICY });

    beforeAll(async () => {
      work = mkdtempSync(path.join(os.tmpdir(), "s3vg-rbac-"));
      controlPlane = await startControlPlane();
      const installed = await installCrds(controlPlane.kubeConfig);
      served = new Set(servedKinds(installed.crds).map((k) => `${k.group}/${k.version}/${k.kind}`));
      for (const name of [NAMESPACE, TEAM, LONE, STALE])
        await admin("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name } });
      docs = renderChart();
      const rbacDocs = docs.filter((d) => RBAC_KINDS.includes(d.kind));
      expect(rbacDocs.map((d) => d.kind).sort()).toEqual([...RBAC_KINDS].sort());
      for (const doc of rbacDocs) await applyDoc(doc);
      // A report of ours left behind in a namespace that has no audited object: the leader deletes it.
      await admin("POST", `${REPORTS}/namespaces/${STALE}/policyreports`, {
        apiVersion: "wgpolicyk8s.io/v1alpha2",
        kind: "PolicyReport",
        metadata: { name: "s3-vpce-guard", namespace: STALE, labels: { "app.kubernetes.io/managed-by": "s3-vpce-guard" } },
        summary: { pass: 0, fail: 1, warn: 0, error: 0, skip: 0 },
        results: [],
      });
      for (const o of [...clusterScoped, ackPrivateIp, ackClean, namespacedPrivateIp, loneBucket]) await create(o);
    });

    afterAll(async () => {
      for (const p of processes) await p.managed.stop(5_000).catch(() => undefined);
      await controlPlane?.stop();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it("serve, as the Deployment starts it under the chart's ServiceAccount, lists every kind, takes the Lease and writes reports and Events", async () => {
      const { command, flags } = chartCommandLine();
      expect(command).toBe("serve");
      const ca = path.join(work, "webhook-ca");
      await createCertificateAuthority(ca, "s3vg-rbac-webhook-ca");
      await issueServingCert(ca, "tls", ["DNS:s3-vpce-guard.s3-vpce-guard.svc", "IP:127.0.0.1"]);
      const configMap = findDoc(docs, "ConfigMap", "s3-vpce-guard-config") as KubeDoc & { data: Record<string, string> };
      writeFileSync(path.join(work, "config.yaml"), configMap.data["config.yaml"] ?? "");
      const files = {
        "/tls/tls.crt": path.join(ca, "tls.crt"),
        "/tls/tls.key": path.join(ca, "tls.key"),
        "/config/config.yaml": path.join(work, "config.yaml"),
      };
      const { file } = await serviceAccountKubeConfig("s3-vpce-guard");
      serve = await startCli("serve", ["serve", ...localize(flags, files)], file, SERVE_POD);

      // Lease: created by the process (the Role's create), then renewed (update).
      await until(
        `Lease ${NAMESPACE}/s3-vpce-guard held by ${SERVE_POD}`,
        async () => (await lease("s3-vpce-guard"))?.holder === SERVE_POD,
        30_000,
        serve.tail,
      );
      const first = await lease("s3-vpce-guard");
      await until(
        "a renewal of the Lease",
        async () => (await lease("s3-vpce-guard"))?.resourceVersion !== first?.resourceVersion,
        15_000,
        serve.tail,
      );

      // Every served watched kind, and Namespaces, listed once (then watched) under the ServiceAccount.
      await until(
        "serve's first inventory sync",
        async () =>
          (await get(`https://127.0.0.1:${serve.ports.port}/readyz`, readFileSync(path.join(ca, "ca.crt"), "utf8"))).status === 200,
        60_000,
        serve.tail,
      );
      const expectedKinds = [
        ...new Set(WATCHED_KINDS.filter((k) => served.has(`${k.group}/${k.version}/${k.kind}`)).map((k) => `${k.kind}.${k.group}`)),
      ].sort();
      expect(expectedKinds.length).toBeGreaterThanOrEqual(10);
      const sync = messages(serve, "inventory: first sync complete")[0] as { kinds: string[] } | undefined;
      expect(sync?.kinds.map((k) => k.split("@")[0]).sort()).toEqual(expectedKinds);
      const listed = messages(serve, "watch: initial list complete")
        .map((l) => String(l.resource))
        .sort();
      expect(listed).toEqual(["Namespace", ...expectedKinds].sort());

      // Reports created by server-side apply (patch + create), the stale one deleted.
      await until(
        "the ClusterPolicyReport",
        async () => {
          const r = await report(null);
          return (
            rulesFor(r, "upjet-open").length === 2 &&
            rulesFor(r, "community-private-ip").length === 1 &&
            rulesFor(r, "community-open").length === 1
          );
        },
        30_000,
        serve.tail,
      );
      const cluster = await report(null);
      expect(cluster!.summary).toMatchObject({ fail: 1, warn: 3 });
      expect(rulesFor(cluster, "upjet-restricted")).toEqual([]);
      expect(cluster!.metadata.managedFields?.some((f) => f.manager === "s3-vpce-guard" && f.operation === "Apply")).toBe(true);
      await until(
        "the team's PolicyReport",
        async () => {
          const r = await report(TEAM);
          return rulesFor(r, "ack-private-ip").length === 1 && rulesFor(r, "m-private-ip").length === 1;
        },
        30_000,
        serve.tail,
      );
      expect((await report(TEAM))!.summary).toMatchObject({ pass: 1, fail: 2, warn: 0 });
      await until(
        "the lone namespace's PolicyReport",
        async () => rulesFor(await report(LONE), "lone-private-ip").length === 1,
        30_000,
        serve.tail,
      );
      await until("the stale PolicyReport to be deleted", async () => (await report(STALE)) === undefined, 30_000, serve.tail);

      // Events, in the object's namespace and in default for cluster-scoped objects.
      // One per object, summarising its findings.
      await until(
        "Events on the offending objects",
        async () => (await eventsFor("ack-private-ip", TEAM)).length === 1 && (await eventsFor("upjet-open", "default")).length === 1,
        30_000,
        serve.tail,
      );
      expect((await eventsFor("upjet-open", "default"))[0]).toMatchObject({
        reason: "PolicyViolation",
        reportingInstance: SERVE_POD,
        count: 1,
      });
    });

    it("changes reach the reports: a new object, an update, and a namespace's last object deleted (its report too)", async () => {
      await create(upjetEndpoint({ name: "m-open", namespace: TEAM }, "namespaced"));
      await until(
        "the new namespaced endpoint's results",
        async () => rulesFor(await report(TEAM), "m-open").length === 2,
        20_000,
        serve.tail,
      );
      await replace(ackBucket({ name: "ack-private-ip", namespace: TEAM, region: "us-east-1" }));
      await until(
        "the fixed bucket's results to go",
        async () => rulesFor(await report(TEAM), "ack-private-ip").length === 0,
        20_000,
        serve.tail,
      );
      await remove(loneBucket);
      await until("the emptied namespace's report to be deleted", async () => (await report(LONE)) === undefined, 20_000, serve.tail);
      const synced = messages(serve, "reconciler: reports synced");
      expect(synced.some((l) => Number(l.written) > 0)).toBe(true);
      expect(synced.some((l) => Number(l.deleted) > 0)).toBe(true);
    });

    it("reconcile under the same ServiceAccount waits as a candidate, takes the Lease over when serve stops, and does not announce again what serve announced (list of Events)", async () => {
      const { flags } = chartCommandLine();
      // The Deployment's flags that `reconcile` also takes; the webhook's stay with serve.
      const serveOnly = new Set(["--tls-cert", "--tls-key", "--port", "--shutdown-delay-ms"]);
      const shared = new Set(["--config", "--metrics-port", "--lease-name", "--lease-namespace"]);
      for (const [flag] of flags)
        expect(serveOnly.has(flag) || shared.has(flag), `chart flag ${flag}: decide whether reconcile takes it`).toBe(true);
      const args = [
        "reconcile",
        ...localize(
          flags.filter(([flag]) => shared.has(flag)),
          { "/config/config.yaml": path.join(work, "config.yaml") },
        ),
        "--health-port",
        "0",
      ];
      const { file } = await serviceAccountKubeConfig("s3-vpce-guard");
      reconcile = await startCli("reconcile", args, file, RECONCILE_POD);
      await until(
        "reconcile's first inventory sync",
        async () => (await get(`http://127.0.0.1:${reconcile.ports.healthPort}/readyz`)).status === 200,
        60_000,
        reconcile.tail,
      );
      expect(await scrape(reconcile)).toMatch(/^s3_vpce_guard_leader 0$/m);
      expect((await lease("s3-vpce-guard"))?.holder).toBe(SERVE_POD);

      const eventsBefore = (
        await admin("GET", "/api/v1/events?labelSelector=app.kubernetes.io%2Fmanaged-by%3Ds3-vpce-guard").then(
          (b) => JSON.parse(b) as { items: Event[] },
        )
      ).items;
      expect(eventsBefore.length).toBeGreaterThan(0);

      serveMetrics = await scrape(serve);
      expect(serveMetrics).toMatch(/^s3_vpce_guard_leader 1$/m);
      const before = await lease("s3-vpce-guard");
      expect(await stopCli(serve)).toBe(0);
      await until(
        `${RECONCILE_POD} to take the Lease over`,
        async () => (await lease("s3-vpce-guard"))?.holder === RECONCILE_POD,
        20_000,
        reconcile.tail,
      );
      expect((await lease("s3-vpce-guard"))?.transitions).toBe((before?.transitions ?? 0) + 1);
      // The new leader lists serve's Events (list) before its first audit sends anything: nothing is announced again.
      await until(
        "the new leader's first full audit",
        () => messages(reconcile, "reconciler: full audit done").length > 0,
        30_000,
        reconcile.tail,
      );
      const eventsAfter = (
        await admin("GET", "/api/v1/events?labelSelector=app.kubernetes.io%2Fmanaged-by%3Ds3-vpce-guard").then(
          (b) => JSON.parse(b) as { items: Event[] },
        )
      ).items;
      expect(eventsAfter.map((e) => `${e.metadata.name} ${e.count} ${e.reportingInstance}`).sort()).toEqual(
        eventsBefore.map((e) => `${e.metadata.name} ${e.count} ${e.reportingInstance}`).sort(),
      );
      expect(await scrape(reconcile)).toMatch(/^s3_vpce_guard_leader 1$/m);
    });

    it("under the new leader, deleting every cluster-scoped object deletes the ClusterPolicyReport, and a new violation is reported", async () => {
      await create(ackBucket({ name: "ack-again", namespace: TEAM, region: "us-east-1", policy: PRIVATE_SOURCE_IP_POLICY }));
      await until(
        "the new leader to report a new violation",
        async () => rulesFor(await report(TEAM), "ack-again").length === 1,
        20_000,
        reconcile.tail,
      );
      await until(
        "an Event from the new leader",
        async () => (await eventsFor("ack-again", TEAM)).some((e) => e.reportingInstance === RECONCILE_POD),
        20_000,
        reconcile.tail,
      );
      expect(await report(null)).toBeDefined();
      for (const o of clusterScoped) await remove(o);
      await until("the ClusterPolicyReport to be deleted", async () => (await report(null)) === undefined, 20_000, reconcile.tail);
    });

    it("neither process logged a 403 (or any warning), and no watch failed", async () => {
      const reconcileMetrics = await scrape(reconcile);
      expect(await stopCli(reconcile)).toBe(0);
      expect((await lease("s3-vpce-guard"))?.holder).toBe("");
      for (const p of [serve, reconcile]) {
        expect(
          forbiddenLines(p).map((l) => l.raw),
          `${p.name} logged a 403`,
        ).toEqual([]);
        expect(
          troubleLines(p).map((l) => l.raw),
          `${p.name} logged warnings or errors`,
        ).toEqual([]);
        expect(messages(p, `${p.name}: stopped`)).toHaveLength(1);
      }
      for (const text of [serveMetrics, reconcileMetrics]) {
        expect(text).toMatch(/^s3_vpce_guard_inventory_resources\{kind="Endpoint"\} \d+/m);
        expect(text).not.toMatch(/^s3_vpce_guard_watch_restarts_total\{[^}]*reason="error"/m);
        expect(text).not.toMatch(/^s3_vpce_guard_kube_write_errors_total\{/m);
      }
    });

    it("negative control: a ClusterRole without the PolicyReport rule makes reconcile log the 403 with resource, verb and fix, and it keeps running", async () => {
      const clusterRole = findDoc(docs, "ClusterRole") as KubeDoc & { rules: Rule[] };
      const role = findDoc(docs, "Role");
      const crippled = {
        ...clusterRole,
        metadata: { name: `${NEGATIVE_SA}-test` },
        rules: clusterRole.rules.filter((r) => !r.apiGroups.includes("wgpolicyk8s.io")),
      };
      expect(crippled.rules).toHaveLength(clusterRole.rules.length - 1);
      const subjects = [{ kind: "ServiceAccount", name: NEGATIVE_SA, namespace: NAMESPACE }];
      for (const doc of [
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: NEGATIVE_SA, namespace: NAMESPACE } },
        crippled,
        {
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "ClusterRoleBinding",
          metadata: { name: `${NEGATIVE_SA}-test` },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: crippled.metadata.name },
          subjects,
        },
        {
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "RoleBinding",
          metadata: { name: `${NEGATIVE_SA}-leader-election`, namespace: NAMESPACE },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
          subjects,
        },
      ] as KubeDoc[]) {
        await applyDoc(doc);
      }
      const { file, kubeConfig } = await serviceAccountKubeConfig(NEGATIVE_SA);
      expect((await rawKubeRequest(kubeConfig, { method: "GET", path: `${REPORTS}/policyreports?limit=1` })).statusCode).toBe(403);
      await create(ackBucket({ name: "ack-negative", namespace: TEAM, region: "us-east-1", policy: PRIVATE_SOURCE_IP_POLICY }));
      const negative = await startCli(
        "reconcile-no-reports",
        ["reconcile", "--metrics-port", "0", "--health-port", "0", "--lease-name", NEGATIVE_SA, "--lease-namespace", NAMESPACE],
        file,
        NEGATIVE_POD,
      );
      await until("the 403 in the log", () => forbiddenLines(negative).length > 0, 30_000, negative.tail);
      const [line] = forbiddenLines(negative);
      expect(line?.json).toMatchObject({ level: "warn", component: "reconciler", msg: "could not list PolicyReports; retrying" });
      const reason = String(line?.json?.reason);
      expect(reason).toContain(`system:serviceaccount:${NAMESPACE}:${NEGATIVE_SA}`);
      // Both kinds are listed at once; whichever answers first is logged.
      expect(reason).toMatch(/cannot list resource "(cluster)?policyreports" in API group "wgpolicyk8s\.io"/);
      expect(reason).toMatch(/grant .*rbac\.yaml/);
      // Still running and leading: Events and the rest go on, and it keeps retrying the reports.
      await until(
        "an Event from the crippled leader",
        async () => (await eventsFor("ack-negative", TEAM)).some((e) => e.reportingInstance === NEGATIVE_POD),
        20_000,
        negative.tail,
      );
      await until("a second attempt at the reports", () => forbiddenLines(negative).length >= 2, 20_000, negative.tail);
      expect(negative.alive()).toBe(true);
      expect((await get(`http://127.0.0.1:${negative.ports.healthPort}/healthz`)).status).toBe(200);
      const negativeMetrics = await scrape(negative);
      expect(negativeMetrics).toMatch(/^s3_vpce_guard_leader 1$/m);
      // What S3VpceGuardKubeWriteErrors pages on; Events still go through.
      expect(negativeMetrics).toMatch(/^s3_vpce_guard_kube_write_errors_total\{resource="policyreports",code="403"\} [1-9]/m);
      expect(negativeMetrics).not.toMatch(/^s3_vpce_guard_kube_write_errors_total\{resource="events"/m);
      expect(await report(TEAM).then((r) => rulesFor(r, "ack-negative"))).toEqual([]);
      expect(await stopCli(negative)).toBe(0);
    });
  },
  ["control-plane", "helm"],
);
