// The Helm chart as users run it, on a one-node cluster (test/harness/node.ts): the image
// built from the Dockerfile, `helm install` with the chart's defaults (generated certificate,
// two replicas, the chart's securityContext and probes), the API server calling the webhook
// through its Service, leader election between the pods, upgrade and uninstall.
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { KubeObject } from "../../src/core/adapters/types.js";
import { rawKubeRequest, repoRoot } from "../harness/control-plane.js";
import { installCrds } from "../harness/crds.js";
import { describeE2e, imageReference } from "../harness/image.js";
import { nodeUnavailable, startNodeCluster, type NodeCluster } from "../harness/node.js";
import { until } from "../harness/wait.js";
import { getText } from "../harness/http.js";
import { bucketGrant, PRIVATE_SOURCE_IP_POLICY, upjetBucketPolicy, upjetEndpoint } from "../helpers/manifests.js";

const release = "s3-vpce-guard";
const namespace = "s3-vpce-guard";
const team = "team-a";
const chart = path.join(repoRoot, "charts/s3-vpce-guard");

interface Pod {
  metadata: { name: string; deletionTimestamp?: string };
  status: { podIP?: string; phase?: string; containerStatuses?: Array<{ ready: boolean; restartCount: number }> };
}

const violatingEndpoint = (name: string): KubeObject => upjetEndpoint({ name, policy: PRIVATE_SOURCE_IP_POLICY });

describeE2e(
  "the chart on a one-node cluster",
  () => {
    let cluster: NodeCluster;
    const timings: Record<string, number> = {};
    const image = imageReference();
    const [repository, tag] = [image.ref.slice(0, image.ref.lastIndexOf(":")), image.ref.slice(image.ref.lastIndexOf(":") + 1)];
    const imageValues = ["--set", `image.repository=${repository}`, "--set", `image.tag=${tag}`];

    const kubectl = async (args: string[], input?: string): Promise<string> => {
      const result = await cluster.kubectl(args, input);
      if (result.code !== 0) throw new Error(`kubectl ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
      return result.stdout;
    };
    const getJson = async <T>(args: string[]): Promise<T> => JSON.parse(await kubectl([...args, "-o", "json"])) as T;
    const pods = async (): Promise<Pod[]> =>
      (await getJson<{ items: Pod[] }>(["get", "pods", "-n", namespace, "-l", `app.kubernetes.io/instance=${release}`])).items;
    const readyPods = async (): Promise<Pod[]> =>
      (await pods()).filter((p) => !p.metadata.deletionTimestamp && p.status.containerStatuses?.every((c) => c.ready) === true);
    const leaseHolder = async (): Promise<string | undefined> =>
      (await getJson<{ spec: { holderIdentity?: string } }>(["get", "lease", release, "-n", namespace])).spec.holderIdentity;
    const apply = (o: KubeObject, extra: string[] = []) => cluster.kubectl(["apply", "-f", "-", ...extra], JSON.stringify(o));
    const helmInstall = async (verb: "install" | "upgrade", extra: string[] = []): Promise<void> => {
      const started = Date.now();
      const result = await cluster.helm([
        verb,
        release,
        chart,
        "-n",
        namespace,
        ...(verb === "install" ? ["--create-namespace"] : []),
        ...imageValues,
        ...extra,
        "--wait",
        "--timeout",
        "5m",
      ]);
      timings[`helm ${verb}`] = Date.now() - started;
      if (result.code !== 0) throw new Error(`helm ${verb} exited ${result.code}: ${result.stderr}\n${cluster.logs()}`);
    };

    beforeAll(async () => {
      const started = Date.now();
      cluster = await startNodeCluster();
      timings["cluster start"] = Date.now() - started;
      await installCrds(cluster.controlPlane.kubeConfig);
      await kubectl(["create", "namespace", team]);
      // Violations that exist before the chart: the audit must report them.
      expect((await apply(violatingEndpoint("pre-existing-endpoint"))).code).toBe(0);
      expect(
        (
          await apply(
            upjetBucketPolicy({ name: "pre-existing-policy", namespaced: true, namespace: team, policy: PRIVATE_SOURCE_IP_POLICY }),
          )
        ).code,
      ).toBe(0);
      await helmInstall("install");
    }, 600_000);

    afterAll(async () => {
      console.log(`e2e timings (ms): ${JSON.stringify(timings)}`);
      await cluster?.stop();
    });

    it("runs both replicas Ready as uid 65532 on a read-only root, with one Lease holder", async () => {
      const ready = await readyPods();
      expect(ready).toHaveLength(2);
      for (const pod of ready) {
        expect(pod.status.containerStatuses?.[0]?.restartCount).toBe(0);
        expect((await kubectl(["exec", "-n", namespace, pod.metadata.name, "--", "id", "-u"])).trim()).toBe("65532");
        const write = await cluster.kubectl(["exec", "-n", namespace, pod.metadata.name, "--", "sh", "-c", "touch /probe"]);
        expect(write.code).not.toBe(0);
        expect(write.stderr).toMatch(/read-only file system/i);
        expect((await cluster.kubectl(["exec", "-n", namespace, pod.metadata.name, "--", "sh", "-c", "touch /tmp/probe"])).code).toBe(0);
      }
      const holder = await leaseHolder();
      expect(ready.map((p) => p.metadata.name)).toContain(holder);
    });

    it("the API server denies a violating VPCEndpoint through the Service, warns, and admits a compliant one", async () => {
      const denied = await apply(violatingEndpoint("denied-endpoint"));
      expect(denied.code).not.toBe(0);
      expect(denied.stderr).toContain('admission webhook "validate.s3-vpce-guard.io" denied the request');
      expect(denied.stderr).toContain("[source-ip-condition]");
      const warned = await apply(upjetEndpoint({ name: "open-endpoint" }));
      expect(warned.code).toBe(0);
      expect(warned.stderr).toMatch(/^Warning: .*\[endpoint-full-access\]/m);
      const compliant = await apply(upjetEndpoint({ name: "restricted-endpoint", policy: bucketGrant("my-secure-bucket") }));
      expect(compliant.code).toBe(0);
      expect(compliant.stdout).toContain("vpcendpoint.ec2.aws.upbound.io/restricted-endpoint created");
    });

    it("reports the violations that existed before the install in PolicyReports", async () => {
      type Report = { results?: Array<{ rule: string; result: string; resources: Array<{ name: string }> }> };
      const failsFor = (r: Report, name: string): string[] =>
        (r.results ?? []).filter((x) => x.result === "fail" && x.resources.some((res) => res.name === name)).map((x) => x.rule);
      await until(
        "the ClusterPolicyReports and the team-a PolicyReport to list the pre-existing violations",
        async () => {
          // Cluster-scoped results are in one ClusterPolicyReport per kind (sharded when large).
          const clusterReports = await getJson<{ items: Report[] }>([
            "get",
            "clusterpolicyreports.wgpolicyk8s.io",
            "-l",
            "app.kubernetes.io/managed-by=s3-vpce-guard",
          ]);
          const clusterReport: Report = { results: clusterReports.items.flatMap((r) => r.results ?? []) };
          const teamReport = await getJson<Report>(["get", "policyreports.wgpolicyk8s.io", "s3-vpce-guard", "-n", team]);
          return (
            failsFor(clusterReport, "pre-existing-endpoint").includes("source-ip-condition") &&
            failsFor(teamReport, "pre-existing-policy").includes("source-ip-condition")
          );
        },
        120_000,
      );
    });

    it("serves s3_vpce_guard_violations on the metrics Service's endpoints", async () => {
      const slices = await getJson<{
        items: Array<{
          endpoints: Array<{ addresses: string[]; conditions?: { ready?: boolean } }>;
          ports: Array<{ name: string; port: number }>;
        }>;
      }>(["get", "endpointslices", "-n", namespace, "-l", `kubernetes.io/service-name=${release}`]);
      const port = slices.items.flatMap((s) => s.ports).find((p) => p.name === "metrics")?.port;
      const addresses = slices.items
        .flatMap((s) => s.endpoints)
        .filter((e) => e.conditions?.ready !== false)
        .flatMap((e) => e.addresses);
      expect(port).toBe(9090);
      expect(addresses).toHaveLength(2);
      const holder = await leaseHolder();
      const leaderIp = (await pods()).find((p) => p.metadata.name === holder)?.status.podIP;
      expect(addresses).toContain(leaderIp);
      await until(
        "the leader's metrics to count the violations",
        async () => /^s3_vpce_guard_violations\{[^}]*\} [1-9]/m.test(await getText(`http://${leaderIp}:${port}/metrics`)),
        60_000,
      );
    });

    it("moves the Lease when the leader pod is deleted, and admission keeps answering", async () => {
      const oldLeader = await leaseHolder();
      expect(oldLeader).toBeDefined();
      let answered = 0;
      const failed: string[] = [];
      let probing = true;
      const probe = (async () => {
        for (let i = 0; probing; i++) {
          const reply = await rawKubeRequest(cluster.controlPlane.kubeConfig, {
            method: "POST",
            path: "/apis/ec2.aws.upbound.io/v1beta2/vpcendpoints?dryRun=All",
            body: violatingEndpoint(`during-move-${i}`),
          });
          if (reply.statusCode === 403 && reply.body.includes("[source-ip-condition]")) answered++;
          else failed.push(`${reply.statusCode}: ${reply.body.slice(0, 200)}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      })();
      const started = Date.now();
      await kubectl(["delete", "pod", "-n", namespace, oldLeader!, "--wait=false"]);
      timings["lease move"] = await until(
        "another pod to hold the Lease",
        async () => {
          // A released Lease has an empty holder until the other replica takes it.
          const holder = await leaseHolder();
          return holder !== undefined && holder !== "" && holder !== oldLeader;
        },
        120_000,
      );
      await until("two Ready replicas again", async () => (await readyPods()).length === 2, 180_000);
      timings["leader replaced"] = Date.now() - started;
      probing = false;
      await probe;
      console.log(
        `admission during the leader move: ${answered} denied as expected, ${failed.length} failed${failed.length ? `: ${failed.slice(0, 3).join(" | ")}` : ""}`,
      );
      expect(answered).toBeGreaterThan(10);
      expect(failed).toEqual([]);
      const newLeader = await leaseHolder();
      expect((await readyPods()).map((p) => p.metadata.name)).toContain(newLeader);
    });

    it("keeps the generated certificate across helm upgrade", async () => {
      const secretCert = async () =>
        (await getJson<{ data: Record<string, string> }>(["get", "secret", `${release}-tls`, "-n", namespace])).data["tls.crt"];
      const caBundle = async () =>
        (await getJson<{ webhooks: Array<{ clientConfig: { caBundle: string } }> }>(["get", "validatingwebhookconfiguration", release]))
          .webhooks[0]?.clientConfig.caBundle;
      const [certBefore, caBefore] = [await secretCert(), await caBundle()];
      expect(certBefore).toBeTruthy();
      await helmInstall("upgrade", ["--set", "webhook.timeoutSeconds=6"]);
      expect(await secretCert()).toBe(certBefore);
      expect(await caBundle()).toBe(caBefore);
      const denied = await apply(violatingEndpoint("denied-after-upgrade"), ["--dry-run=server"]);
      expect(denied.code).not.toBe(0);
      expect(denied.stderr).toContain("denied the request");
    });

    it("helm uninstall leaves no webhook configuration behind", async () => {
      const started = Date.now();
      const result = await cluster.helm(["uninstall", release, "-n", namespace, "--wait", "--timeout", "3m"]);
      timings["helm uninstall"] = Date.now() - started;
      expect(result.code, result.stderr).toBe(0);
      const left = await getJson<{ items: unknown[] }>([
        "get",
        "validatingwebhookconfigurations",
        "-l",
        `app.kubernetes.io/instance=${release}`,
      ]);
      expect(left.items).toEqual([]);
      expect((await cluster.kubectl(["get", "validatingwebhookconfiguration", release])).stderr).toContain("NotFound");
      // Nothing blocks the kinds it guarded.
      expect((await apply(violatingEndpoint("after-uninstall"))).code).toBe(0);
    });
  },
  nodeUnavailable,
);
