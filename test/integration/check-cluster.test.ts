// `check --cluster` against a real kube-apiserver: the built CLI lists every watched kind of
// every family (read-only, paged), and reports exactly what `check` reports for the same
// objects given as files; files given beside --cluster replace cluster objects of the same
// identity; a ServiceAccount that may not list one kind gets one error naming that kind and
// the missing verb, and the rest is still checked; the progress line appears on a terminal
// (a pseudo-terminal from util-linux `script`) and never in a pipe.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { stringify } from "yaml";
import { WATCHED_KINDS } from "../../src/core/adapters/index.js";
import type { KubeObject } from "../../src/core/adapters/types.js";
import {
  describeIntegration,
  rawKubeRequest,
  repoRoot,
  startControlPlane,
  writeKubeConfigFile,
  type ControlPlane,
} from "../harness/control-plane.js";
import { installCrds, objectPath } from "../harness/crds.js";
import {
  ackBucket,
  ackEndpoint,
  bucketGrant,
  communityBucketPolicy,
  communityEndpoint,
  denyUnlessEndpoint,
  namespace,
  PRIVATE_SOURCE_IP_POLICY,
  upjetBucket,
  upjetBucketPolicy,
  upjetEndpoint,
  upjetRouteTableAssociation,
} from "../helpers/manifests.js";
import { until } from "../harness/wait.js";

const cli = path.join(repoRoot, "dist/src/cli/main.js");
const TEAM = "s3vg-check-team";
const LONE = "s3vg-check-lone";
const VPCE = "vpce-0a1b2c3d4e5f67890";
const LIMITED = "s3vg-check-no-buckets";

interface Finding {
  rule: string;
  action: string;
  resource: { apiVersion: string; kind: string; namespace: string | null; name: string };
  file: string | null;
  line: number | null;
}

interface JsonReport {
  findings: Finding[];
  errors: { file: string; line: number | null; message: string }[];
  summary: { resources: number; deny: number; warn: number; audit: number; errors: number };
}

const key = (f: Finding) => `${f.rule} ${f.action} ${f.resource.kind} ${f.resource.namespace ?? "-"}/${f.resource.name}`;
const keys = (r: JsonReport) => r.findings.map(key).sort();

describeIntegration("check --cluster against a real API server", () => {
  let controlPlane: ControlPlane;
  let work: string;
  let kubeconfigFile: string;
  let context: string;

  const admin = async (method: string, apiPath: string, body?: unknown) => {
    const response = await rawKubeRequest(controlPlane.kubeConfig, { method, path: apiPath, body });
    if (response.statusCode >= 300) throw new Error(`${method} ${apiPath} answered HTTP ${response.statusCode}: ${response.body}`);
    return response.body;
  };
  const create = (o: KubeObject) => admin("POST", objectPath(o), o);

  function cliRun(args: string[], env: Record<string, string> = {}) {
    const r = spawnSync(process.execPath, [cli, ...args], {
      cwd: work,
      encoding: "utf8",
      timeout: 120_000,
      env: { ...process.env, KUBECONFIG: kubeconfigFile, NO_COLOR: "1", ...env },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }
  const json = (stdout: string) => JSON.parse(stdout) as JsonReport;

  // Every family, cluster-scoped and namespaced, violating and compliant (as in rbac.test.ts).
  const upjetOpen = upjetEndpoint({ name: "upjet-open" });
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
  const upjetPrivateIp = upjetBucketPolicy({
    name: "upjet-private-ip",
    bucket: "other-bucket",
    policy: {
      ...PRIVATE_SOURCE_IP_POLICY,
      Statement: [{ ...PRIVATE_SOURCE_IP_POLICY.Statement[0], Resource: "arn:aws:s3:::other-bucket/*" }],
    },
  });
  const communityOpen = communityEndpoint({ name: "community-open" });
  const communityPrivateIp = communityBucketPolicy({ name: "community-private-ip", rawPolicy: PRIVATE_SOURCE_IP_POLICY });
  const ackPrivateIp = ackBucket({ name: "ack-private-ip", namespace: TEAM, region: "us-east-1", policy: PRIVATE_SOURCE_IP_POLICY });
  const ackClean = ackEndpoint({ name: "ack-restricted", namespace: TEAM, policy: bucketGrant("my-secure-bucket") });
  const namespacedPrivateIp = upjetBucketPolicy({
    name: "m-private-ip",
    policy: PRIVATE_SOURCE_IP_POLICY,
    namespaced: true,
    namespace: TEAM,
  });
  const upjetPlainBucket = upjetBucket({ name: "upjet-bucket", bucketName: "upjet-bucket" });
  const loneBucket = ackBucket({ name: "lone-private-ip", namespace: LONE, region: "us-east-1", policy: PRIVATE_SOURCE_IP_POLICY });
  const objects = [
    upjetOpen,
    upjetRestricted,
    upjetRta,
    upjetLocked,
    upjetPrivateIp,
    communityOpen,
    communityPrivateIp,
    ackPrivateIp,
    ackClean,
    namespacedPrivateIp,
    loneBucket,
    upjetPlainBucket,
  ];

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), "s3vg-check-cluster-"));
    controlPlane = await startControlPlane();
    await installCrds(controlPlane.kubeConfig);
    for (const name of [TEAM, LONE]) await admin("POST", "/api/v1/namespaces", namespace(name));
    for (const o of objects) await create(o);
    kubeconfigFile = writeKubeConfigFile(controlPlane, path.join(work, "admin.kubeconfig"));
    context = controlPlane.kubeConfig.getCurrentContext();
    // The same objects as files, with their namespaces (ACK default regions come from them).
    writeFileSync(path.join(work, "all.yaml"), [namespace(TEAM), namespace(LONE), ...objects].map((o) => stringify(o)).join("---\n"));
  });

  afterAll(async () => {
    await controlPlane?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("reports for the cluster exactly what check reports for the same objects as files, without file locations", () => {
    const files = cliRun(["check", "-o", "json", "all.yaml"]);
    const cluster = cliRun(["check", "--cluster", "-o", "json"]);
    expect(cluster.stderr).toBe("");
    const fromFiles = json(files.stdout);
    const fromCluster = json(cluster.stdout);
    expect(fromCluster.errors).toEqual([]);
    expect(keys(fromCluster)).toEqual(keys(fromFiles));
    expect(fromCluster.summary).toEqual(fromFiles.summary);
    expect(fromCluster.summary.resources).toBe(objects.length);
    for (const f of fromCluster.findings) expect([f.file, f.line]).toEqual([null, null]);
    // Findings of every family: cluster-scoped Upjet, namespaced Upjet, community, ACK.
    const found = new Set(keys(fromCluster));
    for (const expected of [
      "source-ip-condition deny BucketPolicy -/upjet-private-ip",
      "source-ip-condition deny BucketPolicy -/community-private-ip",
      `source-ip-condition deny Bucket ${TEAM}/ack-private-ip`,
      `source-ip-condition deny BucketPolicy ${TEAM}/m-private-ip`,
      "endpoint-full-access warn VPCEndpoint -/upjet-open",
      "endpoint-full-access warn VPCEndpoint -/community-open",
    ]) {
      expect(found).toContain(expected);
    }
    expect(cluster.code).toBe(1);
    // Text and SARIF render the same findings.
    const text = cliRun(["check", "--cluster"]);
    expect(text.stdout).toContain("BucketPolicy upjet-private-ip\n");
    expect(text.stdout).toContain(
      `${objects.length} resources checked: ${fromCluster.summary.deny} deny, ${fromCluster.summary.warn} warn, ${fromCluster.summary.audit} audit`,
    );
    const sarif = JSON.parse(cliRun(["check", "--cluster", "-o", "sarif"]).stdout) as { runs: { results: unknown[] }[] };
    expect(sarif.runs[0]?.results).toHaveLength(fromCluster.findings.length);
  });

  it("--namespace reads namespaced kinds from that namespace only (cluster-scoped kinds whole)", () => {
    const r = json(cliRun(["check", "--cluster", "--namespace", TEAM, "-o", "json"]).stdout);
    const namespaces = new Set(r.findings.map((f) => f.resource.namespace));
    expect(namespaces).toContain(TEAM);
    expect(namespaces).toContain(null);
    expect(namespaces).not.toContain(LONE);
    expect(r.summary.resources).toBe(objects.length - 1);
  });

  it("files replace cluster objects of the same identity: a change is checked against the live state", () => {
    // The fix of a violating cluster object: its finding is gone, nothing else changes.
    const fixed = upjetBucketPolicy({ name: "upjet-private-ip", bucket: "other-bucket", policy: denyUnlessEndpoint("other-bucket", VPCE) });
    writeFileSync(path.join(work, "fix.yaml"), stringify(fixed));
    // A change that breaks a compliant cluster object, in another apiVersion of the same kind.
    const broken = upjetEndpoint({ name: "upjet-restricted", annotations: { "crossplane.io/external-name": VPCE } }, "v1beta1");
    writeFileSync(path.join(work, "break.yaml"), stringify(broken));
    const before = json(cliRun(["check", "--cluster", "-o", "json"]).stdout);
    const after = json(cliRun(["check", "--cluster", "-o", "json", "fix.yaml", "break.yaml"]).stdout);
    expect(after.summary.resources).toBe(before.summary.resources);
    expect(keys(after)).not.toContain("source-ip-condition deny BucketPolicy -/upjet-private-ip");
    const restricted = after.findings.filter((f) => f.resource.name === "upjet-restricted");
    expect(restricted.map((f) => f.rule)).toContain("endpoint-full-access");
    expect(restricted.every((f) => f.file === "break.yaml" && f.line === 1)).toBe(true);
    expect(before.findings.filter((f) => f.resource.name === "upjet-restricted").map((f) => f.rule)).not.toContain("endpoint-full-access");
  });

  it("a kind the ServiceAccount may not list: one error naming the kind and the verb; the rest is checked (exit 2)", async () => {
    // Every read verb check --cluster needs, but buckets.s3.aws.upbound.io.
    const byGroup = new Map<string, Set<string>>();
    for (const k of WATCHED_KINDS) byGroup.set(k.group, (byGroup.get(k.group) ?? new Set()).add(k.plural));
    byGroup.get("s3.aws.upbound.io")?.delete("buckets");
    const rules = [...byGroup].map(([group, plurals]) => ({ apiGroups: [group], resources: [...plurals], verbs: ["list"] }));
    rules.push({ apiGroups: [""], resources: ["namespaces"], verbs: ["list"] });
    await admin("POST", "/api/v1/namespaces/default/serviceaccounts", {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: LIMITED },
    });
    await admin("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: LIMITED },
      rules,
    });
    await admin("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: LIMITED },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: LIMITED },
      subjects: [{ kind: "ServiceAccount", name: LIMITED, namespace: "default" }],
    });
    const body = await admin("POST", `/api/v1/namespaces/default/serviceaccounts/${LIMITED}/token`, {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: { expirationSeconds: 3600 },
    });
    const token = (JSON.parse(body) as { status: { token: string } }).status.token;
    const limited = new KubeConfig();
    limited.loadFromOptions({
      clusters: [
        {
          name: "s3vg-test",
          server: controlPlane.server,
          caData: Buffer.from(controlPlane.caPem).toString("base64"),
          skipTLSVerify: false,
        },
      ],
      users: [{ name: LIMITED, token }],
      contexts: [{ name: LIMITED, cluster: "s3vg-test", user: LIMITED }],
      currentContext: LIMITED,
    });
    const file = path.join(work, "limited.kubeconfig");
    writeFileSync(file, limited.exportConfig(), { mode: 0o600 });
    // RBAC is eventually consistent: wait until the binding lets the token list namespaces.
    await until(
      "the limited token to list namespaces",
      async () => (await rawKubeRequest(limited, { method: "GET", path: "/api/v1/namespaces?limit=1" })).statusCode === 200,
    );

    const r = cliRun(["check", "--cluster", "-o", "json"], { KUBECONFIG: file });
    expect(r.code).toBe(2);
    const report = json(r.stdout);
    expect(report.errors).toHaveLength(1);
    expect(report.summary.errors).toBe(1);
    const [error] = report.errors;
    expect(error?.file).toBe(`<cluster ${LIMITED}>`);
    expect(error?.line).toBeNull();
    expect(error?.message).toMatch(
      /^Bucket\.s3\.aws\.upbound\.io: missing RBAC verb "list" on buckets in API group s3\.aws\.upbound\.io \(HTTP 403: /,
    );
    expect(error?.message).toContain(`User "system:serviceaccount:default:${LIMITED}" cannot list resource "buckets"`);
    expect(error?.message).toMatch(/grant it .*charts\/s3-vpce-guard\/templates\/rbac\.yaml.*; the other kinds were checked$/);
    // The rest was read and checked; no object of the forbidden kind was.
    expect(keys(report)).toContain("source-ip-condition deny BucketPolicy -/community-private-ip");
    expect(keys(report)).toContain(`source-ip-condition deny Bucket ${TEAM}/ack-private-ip`);
    expect(report.summary.resources).toBe(objects.length - 1);
    expect(report.findings.map((f) => f.resource.name)).not.toContain("upjet-bucket");
    expect(r.stderr).toBe(
      "s3-vpce-guard check: rules that need every object of the cluster were not run, since a kind could not be listed (see the report's errors)\n",
    );
    // Text: the same error as one line.
    const text = cliRun(["check", "--cluster"], { KUBECONFIG: file });
    expect(text.stdout.split("\n").filter((l) => l.startsWith(`<cluster ${LIMITED}>: `))).toHaveLength(1);
  });

  it("an unknown --context names the contexts there are; an unreachable cluster is one line", () => {
    const unknown = cliRun(["check", "--cluster", "--context", "prod"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      `s3-vpce-guard check: --cluster: --context prod: no such context in KUBECONFIG=${kubeconfigFile}; it has ${context}\n`,
    );
    const gone = new KubeConfig();
    gone.loadFromOptions({
      clusters: [{ name: "gone", server: "https://127.0.0.1:1", skipTLSVerify: true }],
      users: [{ name: "u", token: "t" }],
      contexts: [{ name: "gone", cluster: "gone", user: "u" }],
      currentContext: "gone",
    });
    const file = path.join(work, "gone.kubeconfig");
    writeFileSync(file, gone.exportConfig());
    const unreachable = cliRun(["check", "--cluster"], { KUBECONFIG: file });
    expect(unreachable.code).toBe(2);
    expect(unreachable.stdout).toBe("");
    expect(unreachable.stderr).toMatch(
      /^s3-vpce-guard check: --cluster: cannot read the API of https:\/\/127\.0\.0\.1:1 \(context gone\): .+; check that the cluster is reachable and the kubeconfig's credentials are valid\n$/,
    );
  });

  it("shows the progress line on a terminal only", () => {
    // In a pipe (as above): nothing on stderr.
    const piped = cliRun(["check", "--cluster", "-o", "json"]);
    expect(piped.stderr).toBe("");
    // On a pseudo-terminal (util-linux script): the line is drawn and cleared.
    const command = [process.execPath, cli, "check", "--cluster", "-o", "json"].map((a) => `'${a}'`).join(" ");
    const tty = spawnSync("script", ["-qefc", command, "/dev/null"], {
      cwd: work,
      encoding: "utf8",
      timeout: 120_000,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, KUBECONFIG: kubeconfigFile, NO_COLOR: "1" },
    });
    expect(tty.error).toBeUndefined();
    expect(tty.status).toBe(1);
    // Every served watched kind and Namespaces; drawn before the first list and after the last.
    const first = `\r\u001b[Klisting ${context}: 0/`;
    expect(tty.stdout).toContain(first);
    const kinds = Number(tty.stdout.slice(tty.stdout.indexOf(first) + first.length).split(" ")[0]);
    expect(kinds).toBeGreaterThan(WATCHED_KINDS.length / 2);
    expect(tty.stdout).toMatch(new RegExp(`\r\u001b\\[Klisting [^:]+: ${kinds}/${kinds} kinds, \\d+ objects read\r\u001b\\[K`));
    // The JSON report is whole after the cleared line.
    expect(JSON.parse(tty.stdout.slice(tty.stdout.lastIndexOf("\u001b[K") + 3).replace(/\r\n/g, "\n")).summary.resources).toBe(
      objects.length,
    );
  });
});
