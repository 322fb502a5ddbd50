// Our webhook beside Gatekeeper's, under the same load: `serve` (as shipped, 10k-resource
// inventory) and Gatekeeper's controller manager (`--operation=webhook`, the release's own
// flags) with the three compared rules of bench/peers/gatekeeper/, both answering the same
// Upjet AdmissionReviews over HTTPS on loopback. Gatekeeper needs an API server for its
// templates and constraints: the harness's real kube-apiserver + etcd. Run through
// bench/peers/webhook.sh (vitest only for the harness's TypeScript; it asserts nothing but that
// both servers answer, it measures and prints a table).
//
// Beside them, the bare Node HTTPS server of bench/webhook-load.mjs (the ceiling: TLS, HTTP,
// JSON.parse, a fixed answer) and, with S3VG_PEER_OTHER_DIST=DIR, serve from another build.
// Prints, per server: the answer to each body (both webhooks must answer every one with HTTP
// 200); maximum throughput and server CPU per request (medians of S3VG_PEER_ROUNDS rounds of
// S3VG_PEER_SECONDS s, the servers taking turns); latency p50/p99 of an open-loop client at one
// rate for all (half the slower webhook's maximum); RSS at the end.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import path from "node:path";
import { it } from "vitest";
import { parseAllDocuments } from "yaml";
import {
  cacheRoot,
  createCertificateAuthority,
  freeLoopbackPort,
  issueServingCert,
  rawKubeRequest,
  repoRoot,
  spawnManaged,
  startControlPlane,
  waitForCustomResourcesServed,
  writeKubeConfigFile,
  type ControlPlane,
  type ManagedProcess,
} from "../../test/harness/control-plane.js";
import { growWithGrants, hex } from "../corpus.mjs";
import {
  IMAGE_NODE_FLAGS,
  admissionReviewFor,
  bareServerScript,
  cannonAt,
  measuredAt,
  pacedLatencyAt,
  postOnce,
  preloadedServe,
  rssMiB,
  scratch,
  startProcess,
  type LoadTarget,
  type Started,
} from "../webhook-process.mjs";
import { upjetBucketPolicy, upjetEndpoint } from "./corpus.mjs";

const ROUNDS = Number(process.env.S3VG_PEER_ROUNDS ?? 4);
const SECONDS = Number(process.env.S3VG_PEER_SECONDS ?? 5);
const CONNECTIONS = 10;
const INVENTORY = 10_000;
/** Another build's tsc output (a dist directory inside this checkout), run beside ours in the same rounds. */
const OTHER_DIST = process.env.S3VG_PEER_OTHER_DIST;
const versions = Object.fromEntries(
  readFileSync(path.join(repoRoot, "bench/peers/versions.env"), "utf8")
    .split("\n")
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => line.split("=") as [string, string]),
);
const gatekeeperDir = path.join(process.env.S3VG_CACHE ?? cacheRoot(), "peers", `gatekeeper-${versions.GATEKEEPER_VERSION}`);

type KubeDoc = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const fmt = (n: number | undefined, d = 1) => (n === undefined || Number.isNaN(n) ? "—" : n.toFixed(d));

/** The path of `doc` for a server-side apply (cluster-scoped kinds and namespaces only, as used here). */
function applyPath(doc: KubeDoc, plural: string): string {
  const [group, version] = doc.apiVersion.includes("/") ? doc.apiVersion.split("/") : ["", doc.apiVersion];
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
  return `${base}/${plural}/${doc.metadata.name}?fieldManager=s3vg-bench&force=true`;
}

async function apply(controlPlane: ControlPlane, doc: KubeDoc, plural: string): Promise<number> {
  const response = await rawKubeRequest(controlPlane.kubeConfig, {
    method: "PATCH",
    path: applyPath(doc, plural),
    body: doc,
    contentType: "application/apply-patch+yaml",
  });
  return response.statusCode;
}

/** The policy grown with a grant per prefix to `bytes` characters (bench/corpus.mjs). */
function grown(policy: KubeDoc & { spec: { forProvider: { policy: string; bucket: string } } }, bytes: number) {
  const { bucket } = policy.spec.forProvider;
  const document = growWithGrants(JSON.parse(policy.spec.forProvider.policy) as { Statement: unknown[] }, bucket, bytes);
  return { ...policy, spec: { forProvider: { ...policy.spec.forProvider, policy: JSON.stringify(document) } } };
}

/** An UPDATE that adds a label: the object's policy as stored, as a controller's update sends it. */
function relabelled(object: KubeDoc) {
  return { ...object, metadata: { ...object.metadata, labels: { team: "a" } } };
}

/**
 * Eight Upjet reviews, all matched by Gatekeeper's constraint: clean, flagged by the compared
 * rules (a new endpoint without policy, one with `Allow * * *`, a Deny + NotIpAddress, an
 * endpoint ARN as aws:SourceVpce), and bucket policies of 5 and 20 KB. Updates are of objects
 * in our inventory, so our cross-resource rules find their endpoints.
 */
function corpus(): Array<{ name: string; body: string }> {
  const review = (object: KubeDoc | null, operation = "CREATE", old: KubeDoc | null = null) =>
    JSON.stringify(admissionReviewFor(object, operation, old, `0c0ffee0-0000-4000-8000-${hex(Math.floor(Math.random() * 2 ** 40), 12)}`));
  const update = (object: KubeDoc) => review(relabelled(object), "UPDATE", object);
  const policy = (i: number) => upjetBucketPolicy(i) as KubeDoc & { spec: { forProvider: { policy: string; bucket: string } } };
  return [
    { name: "VPCEndpoint UPDATE, scoped policy", body: update(upjetEndpoint(1) as KubeDoc) },
    { name: "VPCEndpoint CREATE, no policy (full access)", body: review(upjetEndpoint(INVENTORY / 2) as KubeDoc) },
    { name: "VPCEndpoint CREATE, Allow * * *", body: review(upjetEndpoint(INVENTORY / 2 + 5) as KubeDoc) },
    { name: "BucketPolicy UPDATE, guide's policy", body: update(policy(1)) },
    { name: "BucketPolicy UPDATE, Deny + NotIpAddress", body: update(policy(3)) },
    { name: "BucketPolicy UPDATE, endpoint ARN as aws:SourceVpce", body: update(policy(7)) },
    { name: "BucketPolicy UPDATE, 5 KB", body: update(grown(policy(11), 5_000)) },
    { name: "BucketPolicy UPDATE, 20 KB", body: update(grown(policy(21), 20_000)) },
  ];
}

/** The response's decision to one body in a few words (and the HTTP status when not 200). */
async function decisionOf(target: LoadTarget, body: string): Promise<string> {
  const posted = await postOnce(target, body).catch((error: Error) => ({ status: 0, text: `no answer: ${error.message}` }));
  if (posted.status !== 200) return `HTTP ${posted.status}: ${posted.text.slice(0, 200)}`;
  const answer = (JSON.parse(posted.text) as { response?: { allowed?: boolean; warnings?: string[]; status?: { message?: string } } })
    .response;
  if (answer?.allowed === false) return `denied (${(answer.status?.message ?? "").split("\n").length} message lines)`;
  return answer?.warnings?.length ? `allowed, ${answer.warnings.length} warnings` : "allowed";
}

it(
  "our webhook beside Gatekeeper's",
  async () => {
    if (!versions.GATEKEEPER_VERSION) throw new Error("bench/peers/versions.env has no GATEKEEPER_VERSION");
    const binary = path.join(gatekeeperDir, "gatekeeper");
    const manifest = path.join(gatekeeperDir, "gatekeeper.yaml");
    for (const file of [binary, manifest])
      if (!existsSync(file)) throw new Error(`${file} is missing: run bench/peers/build.sh gatekeeper first`);
    const work = scratch("s3vg-peer-webhook-");
    const pki = path.join(work.dir, "pki");
    const caPem = await createCertificateAuthority(pki, "s3vg-bench-ca");
    await issueServingCert(pki, "tls", ["IP:127.0.0.1", "DNS:localhost"]);

    console.log(
      `machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, node ${process.version}, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
    );
    const controlPlane = await startControlPlane();
    let gatekeeper: ManagedProcess | undefined;
    let serve: Started | undefined;
    try {
      // Gatekeeper's CRDs and namespace, from the release manifest of the built tag.
      const docs = parseAllDocuments(readFileSync(manifest, "utf8")).map((d) => d.toJS() as KubeDoc);
      for (const doc of docs) {
        if (doc?.kind === "Namespace") await apply(controlPlane, doc, "namespaces");
        if (doc?.kind === "CustomResourceDefinition") await apply(controlPlane, doc, "customresourcedefinitions");
      }
      await waitForCustomResourcesServed(controlPlane.kubeConfig);

      const [port, healthPort, prometheusPort] = [await freeLoopbackPort(), await freeLoopbackPort(), await freeLoopbackPort()];
      gatekeeper = spawnManaged(
        "gatekeeper",
        binary,
        [
          `--kubeconfig=${writeKubeConfigFile(controlPlane)}`,
          "--operation=webhook",
          // Makes each template's constraint CRD (in a release, the audit pod's job).
          "--operation=generate",
          "--host=127.0.0.1",
          `--port=${port}`,
          `--cert-dir=${pki}`,
          "--disable-cert-rotation",
          `--health-addr=127.0.0.1:${healthPort}`,
          `--prometheus-port=${prometheusPort}`,
          "--debug-use-fake-pod",
          "--logtostderr",
          "--exempt-namespace=gatekeeper-system",
          "--disable-opa-builtin={http.send}",
        ],
        path.join(work.dir, "gatekeeper.log"),
        { env: { ...process.env, POD_NAMESPACE: "gatekeeper-system", POD_NAME: "gatekeeper-bench" } },
      );
      const peerDir = path.join(repoRoot, "bench/peers/gatekeeper");
      const [template] = parseAllDocuments(readFileSync(path.join(peerDir, "template.yaml"), "utf8")).map((d) => d.toJS() as KubeDoc);
      const [constraint] = parseAllDocuments(readFileSync(path.join(peerDir, "constraint.yaml"), "utf8")).map((d) => d.toJS() as KubeDoc);
      if (!template || !constraint) throw new Error("bench/peers/gatekeeper: template.yaml and constraint.yaml must hold one object each");
      await apply(controlPlane, template, "constrainttemplates");

      const bodies = corpus();
      const peer: LoadTarget = { port, path: "/v1/admit", bodies: bodies.map((b) => b.body), connections: CONNECTIONS, ca: caPem };
      // The template's CRD appears once Gatekeeper compiled the template; the constraint is
      // enforced once the webhook denies the endpoint without policy.
      const deadline = Date.now() + 60_000;
      for (;;) {
        if (gatekeeper.child.exitCode !== null)
          throw new Error(`gatekeeper exited: ${readFileSync(gatekeeper.logFile, "utf8").slice(-2000)}`);
        const applied = await apply(controlPlane, constraint, "s3vgrules");
        if (applied < 300 && (await decisionOf(peer, bodies[1]!.body)).startsWith("denied")) break;
        if (Date.now() > deadline)
          throw new Error(`gatekeeper did not enforce the constraint in 60 s: ${readFileSync(gatekeeper.logFile, "utf8").slice(-2000)}`);
        await sleep(500);
      }

      // Our serve as shipped, its inventory the peers' corpus of 10k objects, complete.
      const inventoryFile = path.join(work.dir, "inventory.json");
      const items = [];
      for (let i = 0; i < INVENTORY / 2; i++) items.push(upjetEndpoint(i), upjetBucketPolicy(i));
      writeFileSync(inventoryFile, JSON.stringify({ apiVersion: "v1", kind: "List", items }));
      const serveArgs = (dist: string) => [
        ...IMAGE_NODE_FLAGS.split(" "),
        "--max-old-space-size=192",
        ...preloadedServe(
          dist,
          [inventoryFile],
          [
            ...["--tls-cert", path.join(pki, "tls.crt"), "--tls-key", path.join(pki, "tls.key")],
            ...["--port", "0", "--metrics-port", "0", "--host", "127.0.0.1", "--no-kube"],
          ],
        ),
      ];
      serve = await startProcess(work, "serve", serveArgs("dist"));
      const bare = await startProcess(work, "bare", ["-e", bareServerScript(path.join(pki, "tls.crt"), path.join(pki, "tls.key"))]);
      const ours: LoadTarget = { ...peer, port: serve.port, path: "/validate" };
      const servers = [
        { name: "s3-vpce-guard serve (all rules, 10k inventory)", target: ours, pid: serve.child.pid },
        { name: `Gatekeeper ${versions.GATEKEEPER_VERSION} webhook (the 3 compared rules)`, target: peer, pid: gatekeeper.child.pid },
        {
          name: "bare Node HTTPS server (TLS, HTTP, JSON.parse, a fixed answer)",
          target: { ...ours, port: bare.port },
          pid: bare.child.pid,
        },
      ];
      if (OTHER_DIST) {
        const other = await startProcess(work, "serve-other", serveArgs(OTHER_DIST));
        servers.push({ name: `serve from ${OTHER_DIST}`, target: { ...ours, port: other.port }, pid: other.child.pid });
      }

      console.log(`corpus: ${bodies.length} AdmissionReviews, ${bodies.map((b) => `${(b.body.length / 1024).toFixed(1)} KB`).join(", ")}`);
      for (const body of bodies)
        console.log(`  ${body.name}: ours ${await decisionOf(ours, body.body)}; Gatekeeper ${await decisionOf(peer, body.body)}`);

      for (const server of servers) await cannonAt(server.target, { duration: 3 }); // warm-up
      const rounds = servers.map(() => ({ rps: [] as number[], cpuUs: [] as number[], errors: 0 }));
      for (let round = 0; round < ROUNDS; round++) {
        // Each server first in turn: none always follows the same one.
        const order = servers.map((_, i) => (i + round) % servers.length);
        for (const index of order) {
          const result = await measuredAt(servers[index]!.target, servers[index]!.pid, SECONDS);
          rounds[index]!.rps.push(result.requests.average);
          rounds[index]!.cpuUs.push(result.cpuUser + result.cpuSystem);
          rounds[index]!.errors += result.non2xx + result.errors;
        }
      }
      const maxRps = rounds.map((r) => median(r.rps));
      const rate = Math.floor(Math.min(maxRps[0]!, maxRps[1]!) / 2);
      const paced: Awaited<ReturnType<typeof pacedLatencyAt>>[] = [];
      for (const server of servers) paced.push(await pacedLatencyAt(server.target, rate, SECONDS * 2));

      console.log(
        `\n${ROUNDS} rounds of ${SECONDS} s, ${CONNECTIONS} keep-alive connections, servers alternating; latency at ${rate} req/s for all (half the slower webhook's maximum)\n`,
      );
      console.log(
        "| server | req/s (median) | of the bare server's | server CPU per request | p50 / p99 at the same rate | errors | RSS at the end |",
      );
      console.log("|---|---|---|---|---|---|---|");
      servers.forEach((server, i) => {
        const r = rounds[i]!;
        const p = paced[i]!;
        console.log(
          `| ${server.name} | ${fmt(maxRps[i], 0)} | ${fmt(maxRps[i]! / maxRps[2]!, 2)} | ${fmt(median(r.cpuUs), 0)} µs | ${fmt(p.p50, 2)} / ${fmt(p.p99, 2)} ms | ${r.errors + p.errors} | ${fmt(rssMiB(server.pid), 0)} MiB |`,
        );
      });
      console.log(
        `\nours ÷ Gatekeeper: throughput ×${fmt(maxRps[0]! / maxRps[1]!, 2)}, CPU per request ×${fmt(median(rounds[0]!.cpuUs) / median(rounds[1]!.cpuUs), 2)}`,
      );
      servers.forEach((server, i) =>
        console.log(`  rounds (req/s), ${server.name}: ${rounds[i]!.rps.map((x) => x.toFixed(0)).join(", ")}`),
      );
      if (rounds.some((r) => r.errors > 0) || paced.some((p) => p.errors > 0)) throw new Error("a server failed requests (see the table)");
    } finally {
      serve?.child.kill("SIGTERM");
      await gatekeeper?.stop(5_000);
      await controlPlane.stop();
    }
  },
  30 * 60_000,
);
