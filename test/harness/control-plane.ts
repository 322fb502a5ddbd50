// A real Kubernetes control plane (etcd + kube-apiserver) for integration tests.
// Binaries come from scripts/control-plane/build.sh; see scripts/control-plane/README.md.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { accessSync, constants as fsConstants, createWriteStream, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import https from "node:https";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { KubeConfig } from "@kubernetes/client-node";
import { describe } from "vitest";

const execFileAsync = promisify(execFile);

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const versionsFile = path.join(repoRoot, "scripts/control-plane/versions.env");
const prepareHint = "run scripts/control-plane/prepare.sh";

export interface ControlPlaneVersions {
  kubernetes: string;
  etcd: string;
  helm: string;
  moto: string;
}

/** KEY=value lines of a versions.env file. */
function readVersionsEnv(file = versionsFile): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match?.[1] !== undefined && match[2] !== undefined) values[match[1]] = match[2];
  }
  return values;
}

export function controlPlaneVersions(): ControlPlaneVersions {
  const env = readVersionsEnv();
  const required = (key: string): string => {
    const value = env[key];
    if (!value) throw new Error(`${versionsFile}: ${key} is missing; add ${key}=<version>`);
    return value;
  };
  return {
    kubernetes: required("KUBERNETES_VERSION"),
    etcd: required("ETCD_VERSION"),
    helm: required("HELM_VERSION"),
    moto: required("MOTO_VERSION"),
  };
}

/** Same rule as build.sh: $S3VG_CACHE or ~/.cache/s3-vpce-guard. */
export function cacheRoot(): string {
  return process.env.S3VG_CACHE ?? path.join(os.homedir(), ".cache", "s3-vpce-guard");
}

/** The directory build.sh writes to for the pinned versions. */
export function binDir(): string {
  const v = controlPlaneVersions();
  return path.join(cacheRoot(), "bin", `k8s-${v.kubernetes}_etcd-${v.etcd}_helm-${v.helm}`);
}

export function helmBinary(): string {
  return path.join(binDir(), "helm");
}

export function motoServerBinary(): string {
  return path.join(cacheRoot(), "moto-venv", "bin", "moto_server");
}

/** Where scripts/promql-check/build.sh puts the tool: keyed by Prometheus version and source hash. */
export function promqlCheckBinary(): string {
  const versions = path.join(repoRoot, "scripts/promql-check/versions.env");
  const version = readVersionsEnv(versions).PROMETHEUS_VERSION;
  if (!version) throw new Error(`${versions}: PROMETHEUS_VERSION is missing`);
  const sourceHash = createHash("sha256")
    .update(readFileSync(path.join(repoRoot, "scripts/promql-check/main.go")))
    .digest("hex")
    .slice(0, 12);
  return path.join(cacheRoot(), "bin", `promql-check_${version}_${sourceHash}`, "promql-check");
}

/** Where scripts/prometheus/build.sh puts promtool and prometheus: keyed by the same Prometheus module version as promql-check. */
export function prometheusBinDir(): string {
  const versions = path.join(repoRoot, "scripts/promql-check/versions.env");
  const version = readVersionsEnv(versions).PROMETHEUS_VERSION;
  if (!version) throw new Error(`${versions}: PROMETHEUS_VERSION is missing`);
  return path.join(cacheRoot(), "bin", `prometheus_${version}`);
}

export function promtoolBinary(): string {
  return path.join(prometheusBinDir(), "promtool");
}

export function prometheusBinary(): string {
  return path.join(prometheusBinDir(), "prometheus");
}

export interface BinariesStatus {
  ok: boolean;
  reason?: string;
  binDir: string;
}

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function missingExecutables(paths: string[]): string[] {
  return paths.filter((p) => !isExecutable(p));
}

const onPath = (command: string): boolean =>
  (process.env.PATH ?? "").split(path.delimiter).some((dir) => dir !== "" && isExecutable(path.join(dir, command)));

/** Whether etcd and kube-apiserver are built for the pinned versions. */
export function binariesAvailable(): BinariesStatus {
  const dir = binDir();
  const missing = missingExecutables([path.join(dir, "etcd"), path.join(dir, "kube-apiserver")]);
  if (missing.length === 0) return { ok: true, binDir: dir };
  return { ok: false, binDir: dir, reason: `control plane binaries not built (missing ${missing.join(", ")}): ${prepareHint}` };
}

/**
 * "prometheus": promtool and the prometheus server. "mount-namespace": root and util-linux's unshare + setpriv (a private, read-only mount namespace).
 * "graphviz": Graphviz's `dot` on PATH (scripts/graphviz.sh).
 */
export type IntegrationNeed = "control-plane" | "helm" | "moto" | "promql-check" | "prometheus" | "mount-namespace" | "graphviz";

/** Why the integration prerequisites `needs` are not there, or undefined when they are. */
export function unmetNeed(needs: readonly IntegrationNeed[]): string | undefined {
  for (const need of needs) {
    if (need === "control-plane") {
      const status = binariesAvailable();
      if (!status.ok) return status.reason;
    } else if (need === "helm" && missingExecutables([helmBinary()]).length > 0) {
      return `helm not built (missing ${helmBinary()}): ${prepareHint}`;
    } else if (need === "moto" && missingExecutables([motoServerBinary()]).length > 0) {
      return `moto_server not installed (missing ${motoServerBinary()}): ${prepareHint}`;
    } else if (need === "promql-check" && missingExecutables([promqlCheckBinary()]).length > 0) {
      return `promql-check not built (missing ${promqlCheckBinary()}): run scripts/promql-check/build.sh (or ${prepareHint})`;
    } else if (need === "prometheus" && missingExecutables([promtoolBinary(), prometheusBinary()]).length > 0) {
      return `promtool and prometheus not built (missing ${missingExecutables([promtoolBinary(), prometheusBinary()]).join(", ")}): run scripts/prometheus/build.sh (or ${prepareHint})`;
    } else if (need === "mount-namespace") {
      if (process.getuid?.() !== 0) return "not root: a private mount namespace needs CAP_SYS_ADMIN";
      const missing = missingExecutables(["/usr/bin/unshare", "/usr/bin/setpriv"]);
      if (missing.length > 0) return `${missing.join(", ")} missing (util-linux)`;
    } else if (need === "graphviz" && !onPath("dot")) {
      return "Graphviz's dot is not on PATH: run scripts/graphviz.sh";
    }
  }
  return undefined;
}

/**
 * True when the integration prerequisites are there. Otherwise prints one line
 * and returns false, or throws when S3VG_REQUIRE_INTEGRATION=1 (CI), so a
 * missing build can never pass as a green run.
 */
export function requireControlPlane(needs: readonly IntegrationNeed[] = ["control-plane"]): boolean {
  return gate(unmetNeed(needs), "integration", "S3VG_REQUIRE_INTEGRATION");
}

/**
 * True when `reason` is undefined. Otherwise prints one line naming the `suite` and returns
 * false, or throws when `requireVariable`=1 (CI).
 */
export function gate(reason: string | undefined, suite: string, requireVariable: string): boolean {
  if (reason === undefined) return true;
  if (process.env[requireVariable] === "1") throw new Error(`${requireVariable}=1 but ${reason}`);
  console.log(`skipping ${suite} tests: ${reason}`);
  return false;
}

/** `describe` that runs only when the prerequisites are built (see requireControlPlane). */
export function describeIntegration(name: string, body: () => void, needs: readonly IntegrationNeed[] = ["control-plane"]): void {
  describe.skipIf(!requireControlPlane(needs))(name, body);
}

// ---------------------------------------------------------------------------
// Process bookkeeping: every child runs in its own process group so that a
// kill of the group also reaches anything it forked. Live groups are killed on
// exit and on SIGINT/SIGTERM; a shell watchdog per control plane kills them
// even when this process dies by SIGKILL.

const liveProcessGroups = new Set<number>();
let exitHandlersInstalled = false;

function killAllProcessGroups(): void {
  for (const pgid of liveProcessGroups) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  liveProcessGroups.clear();
}

function installExitHandlers(): void {
  if (exitHandlersInstalled) return;
  exitHandlersInstalled = true;
  process.on("exit", killAllProcessGroups);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      killAllProcessGroups();
      process.kill(process.pid, signal);
    });
  }
}

export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  readonly logFile: string;
  stop(timeoutMs?: number): Promise<void>;
}

/** `env` replaces the child's environment (default: this process's). */
export function spawnManaged(
  name: string,
  command: string,
  args: string[],
  logFile: string,
  options: { env?: NodeJS.ProcessEnv } = {},
): ManagedProcess {
  installExitHandlers();
  const log = createWriteStream(logFile, { flags: "a" });
  const child = spawn(command, args, { detached: true, stdio: ["ignore", "pipe", "pipe"], ...(options.env ? { env: options.env } : {}) });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const pgid = child.pid;
  if (pgid !== undefined) liveProcessGroups.add(pgid);
  const exited = new Promise<number | null>((resolve) => {
    child.once("error", () => resolve(null));
    child.once("exit", (code) => {
      if (pgid !== undefined) liveProcessGroups.delete(pgid);
      resolve(code);
    });
  });
  const signalGroup = (signal: NodeJS.Signals): void => {
    if (pgid === undefined) return;
    try {
      process.kill(-pgid, signal);
    } catch {
      // already gone
    }
  };
  return {
    name,
    child,
    exited,
    logFile,
    async stop(timeoutMs = 10_000): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signalGroup("SIGTERM");
      const timer = setTimeout(() => signalGroup("SIGKILL"), timeoutMs);
      await exited;
      clearTimeout(timer);
      signalGroup("SIGKILL"); // grandchildren, if any
      log.end();
    },
  };
}

function logTail(logFile: string, lines = 25): string {
  try {
    return readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("could not allocate a loopback port"));
      });
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `probe` until it returns true; fails early with the process log when
 * the process exits, or after `timeoutMs`.
 */
async function waitUntil(what: string, probe: () => Promise<boolean>, processes: ManagedProcess[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitedProcess: ManagedProcess | undefined;
  for (const p of processes) void p.exited.then(() => (exitedProcess ??= p));
  while (Date.now() < deadline) {
    if (exitedProcess) {
      throw new Error(
        `${exitedProcess.name} exited before ${what}; last log lines (${exitedProcess.logFile}):\n${logTail(exitedProcess.logFile)}`,
      );
    }
    if (await probe().catch(() => false)) return;
    await sleep(200);
  }
  const logs = processes.map((p) => `--- ${p.name} (${p.logFile}):\n${logTail(p.logFile)}`).join("\n");
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${logs}`);
}

// ---------------------------------------------------------------------------
// Certificates (openssl CLI): one CA signs the serving cert and the admin
// client cert; a separate RSA key pair signs service account tokens.

export interface ControlPlaneCerts {
  caPem: string;
  caFile: string;
  caKeyFile: string;
  servingCertFile: string;
  servingKeyFile: string;
  adminCertPem: string;
  adminKeyPem: string;
  serviceAccountKeyFile: string;
  serviceAccountPublicKeyFile: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await execFileAsync("openssl", args, { cwd });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    throw new Error(`openssl ${args[0]} failed in ${cwd}: ${stderr.trim()}`);
  }
}

/** Issues a cert signed by ca.crt: `subject` like "/CN=x/O=y", `extensions` an openssl v3 ext section. */
async function issueCert(dir: string, name: string, subject: string, extensions: string): Promise<void> {
  writeFileSync(path.join(dir, `${name}.ext`), extensions);
  await openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${name}.key`], dir);
  await openssl(["req", "-new", "-key", `${name}.key`, "-subj", subject, "-out", `${name}.csr`], dir);
  await openssl(
    [
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "2",
      "-sha256",
      "-extfile",
      `${name}.ext`,
      "-out",
      `${name}.crt`,
    ],
    dir,
  );
}

/** Creates ca.key / ca.crt in `dir` (the CA that issueServingCert and the admin cert use). */
export async function createCertificateAuthority(dir: string, commonName = "s3vg-test-ca"): Promise<string> {
  await mkdir(dir, { recursive: true });
  await openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key"], dir);
  await openssl(
    [
      "req",
      "-x509",
      "-new",
      "-key",
      "ca.key",
      "-subj",
      `/CN=${commonName}`,
      "-days",
      "2",
      "-sha256",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
      "-out",
      "ca.crt",
    ],
    dir,
  );
  return readFile(path.join(dir, "ca.crt"), "utf8");
}

/** Issues `<name>.crt`/`<name>.key` for a TLS server, signed by the CA in `dir`. SANs like "IP:127.0.0.1", "DNS:localhost". */
export async function issueServingCert(dir: string, name: string, subjectAltNames: string[]): Promise<{ certPem: string; keyPem: string }> {
  await issueCert(
    dir,
    name,
    `/CN=${name}`,
    `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${subjectAltNames.join(",")}\n`,
  );
  return { certPem: await readFile(path.join(dir, `${name}.crt`), "utf8"), keyPem: await readFile(path.join(dir, `${name}.key`), "utf8") };
}

export async function generateCerts(dir: string): Promise<ControlPlaneCerts> {
  await createCertificateAuthority(dir);
  await issueServingCert(dir, "apiserver", [
    "IP:127.0.0.1",
    "DNS:localhost",
    "DNS:kubernetes",
    "DNS:kubernetes.default",
    "DNS:kubernetes.default.svc",
    "IP:10.0.0.1",
  ]);
  // O=system:masters: bound to cluster-admin by the bootstrap RBAC policy.
  await issueCert(
    dir,
    "admin",
    "/CN=s3vg-admin/O=system:masters",
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n",
  );
  await openssl(["genrsa", "-out", "sa.key", "2048"], dir);
  await openssl(["rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub"], dir);
  const file = (name: string): string => path.join(dir, name);
  return {
    caPem: await readFile(file("ca.crt"), "utf8"),
    caFile: file("ca.crt"),
    caKeyFile: file("ca.key"),
    servingCertFile: file("apiserver.crt"),
    servingKeyFile: file("apiserver.key"),
    adminCertPem: await readFile(file("admin.crt"), "utf8"),
    adminKeyPem: await readFile(file("admin.key"), "utf8"),
    serviceAccountKeyFile: file("sa.key"),
    serviceAccountPublicKeyFile: file("sa.pub"),
  };
}

// ---------------------------------------------------------------------------

export interface ControlPlaneOptions {
  /** Extra kube-apiserver flags, appended after the defaults (a later flag wins). */
  apiServerArgs?: string[];
  /** false adds --watch-cache=false: every watch is served by etcd directly. Default true. */
  watchCache?: boolean;
  /** Time allowed for etcd and then kube-apiserver to become ready. Default 120 s. */
  startTimeoutMs?: number;
  /** Keep the temp dir (logs, certs, etcd data) after stop(); also env S3VG_KEEP_CONTROL_PLANE=1. */
  keepDataDir?: boolean;
  /** true keeps the ServiceAccount admission plugin (pods get their token volume): for a cluster with a controller manager. */
  serviceAccountAdmission?: boolean;
}

export interface ControlPlane {
  /** Admin (system:masters) kubeconfig. */
  kubeConfig: KubeConfig;
  /** https://127.0.0.1:<port>; stays the same across restarts. */
  server: string;
  caPem: string;
  /** Admin client certificate and key, for raw HTTPS requests. */
  adminCertPem: string;
  adminKeyPem: string;
  etcdEndpoint: string;
  dataDir: string;
  /** Milliseconds from spawning kube-apiserver to /readyz = 200, for the last start. */
  lastApiServerStartMs: number;
  /** stopApiServer + startApiServer; same port, same etcd, same credentials. */
  restartApiServer(): Promise<void>;
  /** SIGTERM, SIGKILL after 3 s. Open watches end; etcd keeps running. */
  stopApiServer(): Promise<void>;
  /** Resolves when /readyz is 200 and every CRD's resources answer lists again. */
  startApiServer(): Promise<void>;
  /** Compacts etcd to its current revision, so watches from older resource versions get 410 Gone. */
  compactEtcd(): Promise<void>;
  /** Etcd's current revision (the resourceVersion the next write builds on). */
  etcdRevision(): Promise<number>;
  stop(): Promise<void>;
}

interface EtcdHeader {
  header?: { revision?: string };
}

async function etcdPost(endpoint: string, apiPath: string, body: object): Promise<EtcdHeader> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${endpoint}${apiPath}`,
      { method: "POST", headers: { "content-type": "application/json" } },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (text += chunk));
        response.on("end", () => {
          if (response.statusCode !== 200) reject(new Error(`etcd ${apiPath} answered ${response.statusCode}: ${text}`));
          else resolve(JSON.parse(text) as EtcdHeader);
        });
      },
    );
    request.on("error", reject);
    request.end(payload);
  });
}

function httpStatus(url: string, options: https.RequestOptions = {}): Promise<number> {
  const client = url.startsWith("https:") ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.get(url, { ...options, timeout: 2_000 }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on("timeout", () => request.destroy(new Error("timeout")));
    request.on("error", reject);
  });
}

function startWatchdog(dataDir: string, pgidFile: string, keepDataDir: boolean): ManagedProcess {
  // Kills the recorded process groups once this Node process is gone, even by SIGKILL.
  const removeDir = keepDataDir ? "" : `; rm -rf '${dataDir}'`;
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; for g in $(cat '${pgidFile}' 2>/dev/null); do kill -9 -$g 2>/dev/null; done${removeDir}`;
  return spawnManaged("watchdog", "sh", ["-c", script], path.join(dataDir, "watchdog.log"));
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const status = binariesAvailable();
  if (!status.ok) throw new Error(status.reason);
  const startTimeoutMs = options.startTimeoutMs ?? 120_000;
  const keepDataDir = options.keepDataDir ?? process.env.S3VG_KEEP_CONTROL_PLANE === "1";
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "s3vg-control-plane-"));
  const pgidFile = path.join(dataDir, "process-groups");
  const managed = new Set<ManagedProcess>();
  const recordGroups = (): void => writeFileSync(pgidFile, [...managed].map((p) => p.child.pid ?? "").join("\n") + "\n");
  const watchdog = startWatchdog(dataDir, pgidFile, keepDataDir);

  let etcd: ManagedProcess | undefined;
  let apiServer: ManagedProcess | undefined;
  const stopAll = async (): Promise<void> => {
    await apiServer?.stop(3_000);
    await etcd?.stop();
    managed.clear();
    await watchdog.stop(1_000);
    if (!keepDataDir) await rm(dataDir, { recursive: true, force: true });
  };
  const cleanupOnExit = (): void => {
    if (!keepDataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  process.once("exit", cleanupOnExit);

  try {
    const certs = await generateCerts(path.join(dataDir, "pki"));
    const [etcdPort, etcdPeerPort, securePort] = [await freeLoopbackPort(), await freeLoopbackPort(), await freeLoopbackPort()];
    const etcdEndpoint = `http://127.0.0.1:${etcdPort}`;
    const server = `https://127.0.0.1:${securePort}`;
    const bin = status.binDir;

    etcd = spawnManaged(
      "etcd",
      path.join(bin, "etcd"),
      [
        "--name=s3vg",
        `--data-dir=${path.join(dataDir, "etcd")}`,
        `--listen-client-urls=${etcdEndpoint}`,
        `--advertise-client-urls=${etcdEndpoint}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
        `--initial-cluster=s3vg=http://127.0.0.1:${etcdPeerPort}`,
        "--unsafe-no-fsync=true",
        "--log-level=warn",
      ],
      path.join(dataDir, "etcd.log"),
    );
    managed.add(etcd);
    recordGroups();
    const etcdProcess = etcd;
    await waitUntil("etcd /health", async () => (await httpStatus(`${etcdEndpoint}/health`)) === 200, [etcdProcess], startTimeoutMs);

    const apiServerArgs = [
      `--etcd-servers=${etcdEndpoint}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      // No endpoint reconciler: it refuses a loopback advertise address, and there are no nodes anyway.
      "--endpoint-reconciler-type=none",
      `--secure-port=${securePort}`,
      `--cert-dir=${path.join(dataDir, "pki")}`,
      `--tls-cert-file=${certs.servingCertFile}`,
      `--tls-private-key-file=${certs.servingKeyFile}`,
      `--client-ca-file=${certs.caFile}`,
      "--authorization-mode=RBAC",
      "--service-cluster-ip-range=10.0.0.0/24",
      "--allow-privileged=true",
      // As envtest: no controller-manager creates default service accounts here.
      ...(options.serviceAccountAdmission ? [] : ["--disable-admission-plugins=ServiceAccount"]),
      `--service-account-issuer=${server}`,
      `--service-account-key-file=${certs.serviceAccountPublicKeyFile}`,
      `--service-account-signing-key-file=${certs.serviceAccountKeyFile}`,
      ...(options.watchCache === false ? ["--watch-cache=false"] : []),
      ...(options.apiServerArgs ?? []),
    ];
    const adminTls = { ca: certs.caPem, cert: certs.adminCertPem, key: certs.adminKeyPem };

    const controlPlane: ControlPlane = {
      kubeConfig: adminKubeConfig(server, certs),
      server,
      caPem: certs.caPem,
      adminCertPem: certs.adminCertPem,
      adminKeyPem: certs.adminKeyPem,
      etcdEndpoint,
      dataDir,
      lastApiServerStartMs: 0,
      async startApiServer(): Promise<void> {
        if (apiServer && apiServer.child.exitCode === null && apiServer.child.signalCode === null) return;
        const startedAt = Date.now();
        const started = spawnManaged(
          "kube-apiserver",
          path.join(bin, "kube-apiserver"),
          apiServerArgs,
          path.join(dataDir, "kube-apiserver.log"),
        );
        apiServer = started;
        managed.add(started);
        recordGroups();
        await waitUntil(
          "kube-apiserver /readyz",
          async () => (await httpStatus(`${server}/readyz`, adminTls)) === 200,
          [started, etcdProcess],
          startTimeoutMs,
        );
        controlPlane.lastApiServerStartMs = Date.now() - startedAt;
        await waitForCustomResourcesServed(controlPlane.kubeConfig, startTimeoutMs);
      },
      async stopApiServer(): Promise<void> {
        if (!apiServer) return;
        // SIGTERM, then SIGKILL after 3 s: with a client connection open, a
        // graceful shutdown can take 10 s+, and tests only need the server gone.
        await apiServer.stop(3_000);
        managed.delete(apiServer);
        recordGroups();
        apiServer = undefined;
      },
      async restartApiServer(): Promise<void> {
        await controlPlane.stopApiServer();
        await controlPlane.startApiServer();
      },
      async etcdRevision(): Promise<number> {
        const answer = await etcdPost(etcdEndpoint, "/v3/kv/range", { key: Buffer.from("/").toString("base64"), limit: 1 });
        return Number(answer.header?.revision ?? 0);
      },
      async compactEtcd(): Promise<void> {
        const revision = await controlPlane.etcdRevision();
        await etcdPost(etcdEndpoint, "/v3/kv/compaction", { revision: String(revision), physical: true }).catch((error: unknown) => {
          // Already compacted up to here (by us or by kube-apiserver's own compactor): nothing left to do.
          if (!String(error).includes("has been compacted")) throw error;
        });
      },
      async stop(): Promise<void> {
        process.off("exit", cleanupOnExit);
        await stopAll();
      },
    };
    await controlPlane.startApiServer();
    return controlPlane;
  } catch (error) {
    await stopAll().catch(() => undefined);
    process.off("exit", cleanupOnExit);
    throw error;
  }
}

function adminKubeConfig(server: string, certs: ControlPlaneCerts): KubeConfig {
  const kubeConfig = new KubeConfig();
  const b64 = (pem: string): string => Buffer.from(pem).toString("base64");
  kubeConfig.loadFromOptions({
    clusters: [{ name: "s3vg-test", server, caData: b64(certs.caPem), skipTLSVerify: false }],
    users: [{ name: "s3vg-admin", certData: b64(certs.adminCertPem), keyData: b64(certs.adminKeyPem) }],
    contexts: [{ name: "s3vg-test", cluster: "s3vg-test", user: "s3vg-admin" }],
    currentContext: "s3vg-test",
  });
  return kubeConfig;
}

export interface RawResponse {
  statusCode: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * One HTTPS request to the API server with the kubeconfig's credentials, body
 * sent as-is. For what the typed clients hide or mangle: response headers
 * (Warning), server-side apply, and raw CRD YAML (client-node's serializer
 * drops `x-kubernetes-*` keys of objects that are not its own model instances).
 */
export async function rawKubeRequest(
  kubeConfig: KubeConfig,
  request: { method: string; path: string; body?: unknown; contentType?: string },
): Promise<RawResponse> {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error("kubeconfig has no current cluster");
  const options: https.RequestOptions = { method: request.method, headers: { accept: "application/json" } };
  await kubeConfig.applyToHTTPSOptions(options);
  const payload = request.body === undefined ? undefined : JSON.stringify(request.body);
  if (payload !== undefined) options.headers = { ...options.headers, "content-type": request.contentType ?? "application/json" };
  return new Promise((resolve, reject) => {
    const outgoing = https.request(`${cluster.server}${request.path}`, options, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ statusCode: response.statusCode ?? 0, headers: response.headers, body }));
    });
    outgoing.on("error", reject);
    outgoing.end(payload);
  });
}

interface CrdList {
  items: Array<{ spec: { group: string; names: { plural: string }; versions: Array<{ name: string; served: boolean }> } }>;
}

/**
 * /readyz does not wait for custom resources: until a CRD's handler and watch
 * cache are up, its lists answer 404/429/503. Polls a one-item list of every
 * served version of every CRD until it answers 200.
 */
export async function waitForCustomResourcesServed(kubeConfig: KubeConfig, timeoutMs = 60_000): Promise<void> {
  const crds = await rawKubeRequest(kubeConfig, { method: "GET", path: "/apis/apiextensions.k8s.io/v1/customresourcedefinitions" });
  if (crds.statusCode !== 200) throw new Error(`listing CRDs answered HTTP ${crds.statusCode}: ${crds.body}`);
  const paths = (JSON.parse(crds.body) as CrdList).items.flatMap((crd) =>
    crd.spec.versions.filter((v) => v.served).map((v) => `/apis/${crd.spec.group}/${v.name}/${crd.spec.names.plural}?limit=1`),
  );
  const deadline = Date.now() + timeoutMs;
  for (const collection of paths) {
    for (;;) {
      const response = await rawKubeRequest(kubeConfig, { method: "GET", path: collection });
      if (response.statusCode === 200) break;
      if (Date.now() > deadline)
        throw new Error(`${collection} still answers HTTP ${response.statusCode} after ${timeoutMs} ms: ${response.body}`);
      await sleep(100);
    }
  }
}

/** Writes the admin kubeconfig to a file (for helm / kubectl). */
export function writeKubeConfigFile(controlPlane: ControlPlane, file = path.join(controlPlane.dataDir, "kubeconfig")): string {
  writeFileSync(file, controlPlane.kubeConfig.exportConfig(), { mode: 0o600 });
  return file;
}
