// A one-node Kubernetes cluster on this machine for the end-to-end suites: etcd +
// kube-apiserver (control-plane.ts), kube-controller-manager, kube-scheduler, containerd 1.6
// (Debian) with runc and Debian's CNI plugins, and a kubelet. Binaries come from
// scripts/control-plane/build.sh and scripts/node/build.sh; images from scripts/image.sh.
//
// Networking without kube-proxy: pods sit on the bridge s3vg0 (10.244.0.0/24, gateway
// 10.244.0.1, also the node's address). The API server reaches Services through their
// endpoints (--enable-aggregator-routing: kube-apiserver's webhook admission uses the same
// service resolver as the aggregator); pods reach the API server's ClusterIP 10.0.0.1:443
// through one DNAT rule to its loopback port. Nothing leaves the machine.
//
// Teardown always runs: stop() and, if this process dies, a watchdog run the same generated
// script (containers, shims, mounts under the node's directory, network namespaces, the
// bridge, the DNAT rule, the pods' cgroups).
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdir, mkdtemp } from "node:fs/promises";
import path from "node:path";
import {
  controlPlaneVersions,
  cacheRoot,
  freeLoopbackPort,
  helmBinary,
  isExecutable,
  rawKubeRequest,
  repoRoot,
  spawnManaged,
  unmetNeed,
  startControlPlane,
  writeKubeConfigFile,
  type ControlPlane,
  type ManagedProcess,
} from "./control-plane.js";
import { commandPath, imageReference, imageUnavailable } from "./image.js";
import { until } from "./wait.js";

export const NODE_NAME = "s3vg-node";
const BRIDGE = "s3vg0";
const POD_SUBNET = "10.244.0.0/24";
const NODE_IP = "10.244.0.1";
/** kube-apiserver's --service-cluster-ip-range in control-plane.ts, and the kubernetes Service's ClusterIP. */
const SERVICE_RANGE = "10.0.0.0/24";
const API_SERVICE_IP = "10.0.0.1";

export function nodeBinDir(): string {
  return path.join(cacheRoot(), "bin", `node-k8s-${controlPlaneVersions().kubernetes}`);
}

/** The sandbox image scripts/node/build.sh makes (keyed like it: sha256 of pause/main.go). */
function pauseImage(): { ref: string; archive: string } {
  const key = createHash("sha256")
    .update(readFileSync(path.join(repoRoot, "scripts/node/pause/main.go")))
    .digest("hex")
    .slice(0, 12);
  return { ref: `localhost/s3vg-pause:${key}`, archive: path.join(nodeBinDir(), `pause-${key}.oci.tar`) };
}

/** Why the one-node cluster cannot start here, or undefined when it can. */
export function nodeUnavailable(): string | undefined {
  const controlPlane = unmetNeed(["control-plane", "helm"]);
  if (controlPlane) return controlPlane;
  const image = imageUnavailable();
  if (image) return image;
  for (const tool of ["containerd", "containerd-shim-runc-v2", "ctr", "runc", "ip", "iptables"]) {
    if (!commandPath(tool)) return `${tool} not installed: run scripts/node/build.sh (it installs containerd, runc and the CNI plugins)`;
  }
  if (!isExecutable("/usr/lib/cni/bridge")) return "/usr/lib/cni/bridge missing: run scripts/node/build.sh (containernetworking-plugins)";
  const missing = ["kubelet", "kube-controller-manager", "kube-scheduler", "kubectl"].filter(
    (b) => !isExecutable(path.join(nodeBinDir(), b)),
  );
  if (missing.length > 0) return `node binaries not built (missing ${missing.join(", ")} in ${nodeBinDir()}): run scripts/node/build.sh`;
  if (!existsSync(pauseImage().archive)) return `sandbox image ${pauseImage().archive} missing: run scripts/node/build.sh`;
  return undefined;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function runCommand(command: string, args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      { maxBuffer: 32 * 1024 * 1024, timeout: options.timeoutMs ?? 420_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof (error as { code?: unknown }).code === "number" ? (error as { code: number }).code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

async function mustRun(command: string, args: string[]): Promise<string> {
  const result = await runCommand(command, args);
  if (result.code !== 0)
    throw new Error(`${command} ${args.join(" ")} exited ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`);
  return result.stdout;
}

function logTail(file: string, lines = 30): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

export interface NodeCluster {
  controlPlane: ControlPlane;
  kubeconfigFile: string;
  dataDir: string;
  /** kubectl with the admin kubeconfig; never throws, the exit code is in the result. */
  kubectl(args: string[], input?: string): Promise<CommandResult>;
  /** helm with the admin kubeconfig. */
  helm(args: string[]): Promise<CommandResult>;
  /** Last lines of every component's log, for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

const shellQuote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

/** The one teardown path, as a script: run by stop() and by the watchdog. Idempotent. */
function teardownScript(dir: string, apiPort: number): string {
  const d = shellQuote(dir);
  return `#!/bin/sh
# Tears down the one-node cluster in ${dir}. Idempotent; every step tolerates "already gone".
D=${d}
# Pod processes: everything in the kubelet's pod cgroups (cgroupfs driver, cgroup root /).
for f in $(find /sys/fs/cgroup/pids/kubepods -name cgroup.procs 2>/dev/null); do
  for p in $(cat "$f" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
done
# Shims of this containerd: their command line names its socket.
for c in /proc/[0-9]*/cmdline; do
  if tr '\\0' ' ' <"$c" 2>/dev/null | grep -q -- "-address $D/containerd.sock"; then p=\${c#/proc/}; kill -9 "\${p%/cmdline}" 2>/dev/null; fi
done
sleep 1
# Mounts under the node directory (deepest first), then the pods' network namespaces.
awk '{print $5}' /proc/self/mountinfo | grep -F "$D/" | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
if [ -f "$D/netns-before" ]; then
  for n in $(ls /run/netns 2>/dev/null | grep '^cni-'); do
    if ! grep -qx "$n" "$D/netns-before"; then umount -l "/run/netns/$n" 2>/dev/null; rm -f "/run/netns/$n"; fi
  done
fi
ip link del ${BRIDGE} 2>/dev/null
while iptables -t nat -D PREROUTING -i ${BRIDGE} -d ${API_SERVICE_IP}/32 -p tcp --dport 443 -j DNAT --to-destination 127.0.0.1:${apiPort} 2>/dev/null; do :; done
# The pods' cgroups, deepest first.
for h in /sys/fs/cgroup/*/; do
  [ -d "$h/kubepods" ] && find "$h/kubepods" -depth -type d -exec rmdir {} \\; 2>/dev/null
done
exit 0
`;
}

/** Imports OCI archives into the node's containerd (namespace k8s.io, where the CRI looks). */
async function importImages(socket: string, archives: string[]): Promise<void> {
  for (const archive of archives) await mustRun("ctr", ["--address", socket, "-n", "k8s.io", "images", "import", archive]);
}

export interface NodeClusterOptions {
  /** Extra image archives to load (the app image and the sandbox image always are). */
  images?: string[];
}

/** One node per machine (fixed bridge, subnet and DNAT rule): the owner's pid, in a file. */
const OWNER_FILE = "/run/s3vg-node.owner";

function ownerAlive(): number | undefined {
  try {
    const pid = Number(readFileSync(OWNER_FILE, "utf8").trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Waits while another live process runs a node here, then claims the machine. */
async function claimMachine(timeoutMs: number): Promise<void> {
  await until(
    "the one-node cluster of another process on this machine to stop",
    () => {
      const owner = ownerAlive();
      if (owner !== undefined && owner !== process.pid) return false;
      writeFileSync(OWNER_FILE, `${process.pid}\n`);
      return true;
    },
    timeoutMs,
    () => `${OWNER_FILE} names pid ${ownerAlive() ?? "?"}`,
  );
}

function releaseMachine(): void {
  if (ownerAlive() === process.pid) rmSync(OWNER_FILE, { force: true });
}

export async function startNodeCluster(options: NodeClusterOptions = {}): Promise<NodeCluster> {
  const reason = nodeUnavailable();
  if (reason) throw new Error(reason);
  await claimMachine(15 * 60_000);
  const dataDir = await mkdtemp("/tmp/s3vg-node-");
  const socket = path.join(dataDir, "containerd.sock");
  const bin = nodeBinDir();
  const processes: ManagedProcess[] = [];
  const pgidFile = path.join(dataDir, "process-groups");
  const recordGroups = (): void => writeFileSync(pgidFile, processes.map((p) => p.child.pid ?? "").join("\n") + "\n");
  const spawn = (name: string, command: string, args: string[]): ManagedProcess => {
    const p = spawnManaged(name, command, args, path.join(dataDir, `${name}.log`));
    processes.push(p);
    recordGroups();
    return p;
  };
  writeFileSync(path.join(dataDir, "netns-before"), existsSync("/run/netns") ? readdirSync("/run/netns").join("\n") + "\n" : "");

  let controlPlane: ControlPlane | undefined;
  let teardownFile = "";
  let watchdog: ManagedProcess | undefined;
  const podLogFiles = (): string[] => {
    const root = path.join(dataDir, "pod-logs");
    if (!existsSync(root)) return [];
    return readdirSync(root, { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".log"))
      .map((f) => path.join(root, f));
  };
  const logs = (): string =>
    [...["containerd", "kubelet", "kube-controller-manager", "kube-scheduler"].map((n) => path.join(dataDir, `${n}.log`)), ...podLogFiles()]
      .map((file) => `--- ${file}:\n${logTail(file, 15)}`)
      .join("\n");

  const stopAll = async (): Promise<void> => {
    for (const p of [...processes].reverse()) await p.stop(5_000).catch(() => undefined);
    if (teardownFile) await runCommand("sh", [teardownFile], { timeoutMs: 60_000 });
    await watchdog?.stop(1_000);
    await controlPlane?.stop().catch(() => undefined);
    if (process.env.S3VG_KEEP_NODE !== "1") await runCommand("rm", ["-rf", dataDir]);
    releaseMachine();
  };

  try {
    // A stale bridge from a run killed before its teardown would keep the old address.
    await runCommand("ip", ["link", "del", BRIDGE]);
    await mustRun("ip", ["link", "add", BRIDGE, "type", "bridge"]);
    await mustRun("ip", ["addr", "add", `${NODE_IP}/24`, "dev", BRIDGE]);
    await mustRun("ip", ["link", "set", BRIDGE, "up"]);

    const pause = pauseImage();
    await mkdir(path.join(dataDir, "cni/net.d"), { recursive: true });
    writeFileSync(
      path.join(dataDir, "cni/net.d/10-s3vg.conflist"),
      JSON.stringify({
        cniVersion: "0.4.0",
        name: "s3vg",
        plugins: [
          {
            type: "bridge",
            bridge: BRIDGE,
            isGateway: true,
            ipMasq: false,
            hairpinMode: true,
            // Only the Service range is routed (to the node): pods reach nothing beyond the machine.
            ipam: {
              type: "host-local",
              ranges: [[{ subnet: POD_SUBNET, gateway: NODE_IP }]],
              routes: [{ dst: SERVICE_RANGE, gw: NODE_IP }],
              dataDir: path.join(dataDir, "cni/ipam"),
            },
          },
        ],
      }),
    );
    const containerdConfig = path.join(dataDir, "containerd.toml");
    writeFileSync(
      containerdConfig,
      `version = 2
root = "${dataDir}/containerd/root"
state = "${dataDir}/containerd/state"
[grpc]
  address = "${socket}"
[plugins."io.containerd.internal.v1.opt"]
  path = "${dataDir}/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${pause.ref}"
  # No CAP_SYS_RESOURCE in this sandbox: a container may not lower its oom_score_adj.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  # Pod network namespaces under the node directory, so teardown finds them with its mounts.
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${dataDir}/cni/net.d"
`,
    );

    const containerd = spawn("containerd", "containerd", ["--config", containerdConfig]);
    const [startedControlPlane] = await Promise.all([
      startControlPlane({
        serviceAccountAdmission: true,
        apiServerArgs: ["--enable-aggregator-routing=true", "--kubelet-preferred-address-types=InternalIP"],
      }),
      until(
        "containerd to answer",
        async () => (await runCommand("ctr", ["--address", socket, "version"])).code === 0,
        60_000,
        () => logTail(containerd.logFile),
      ),
    ]);
    controlPlane = startedControlPlane;
    const apiPort = Number(new URL(controlPlane.server).port);
    teardownFile = path.join(dataDir, "teardown.sh");
    writeFileSync(teardownFile, teardownScript(dataDir, apiPort), { mode: 0o755 });
    const watchdogScript = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; for g in $(cat ${shellQuote(pgidFile)} 2>/dev/null); do kill -9 -$g 2>/dev/null; done; sh ${shellQuote(teardownFile)}; rm -rf ${shellQuote(dataDir)}`;
    watchdog = spawnManaged("node-watchdog", "sh", ["-c", watchdogScript], path.join(dataDir, "watchdog.log"));

    await importImages(socket, [pause.archive, imageReference().archive, ...(options.images ?? [])]);

    // Pods call the API server at the kubernetes Service's ClusterIP: DNAT it to the loopback port.
    await mustRun("sysctl", ["-q", "-w", `net.ipv4.conf.${BRIDGE}.route_localnet=1`]);
    await mustRun("iptables", [
      "-t",
      "nat",
      "-I",
      "PREROUTING",
      "-i",
      BRIDGE,
      "-d",
      `${API_SERVICE_IP}/32`,
      "-p",
      "tcp",
      "--dport",
      "443",
      "-j",
      "DNAT",
      "--to-destination",
      `127.0.0.1:${apiPort}`,
    ]);

    const kubeconfigFile = writeKubeConfigFile(controlPlane);
    const pki = path.join(controlPlane.dataDir, "pki");
    spawn("kube-controller-manager", path.join(bin, "kube-controller-manager"), [
      `--kubeconfig=${kubeconfigFile}`,
      "--leader-elect=false",
      "--bind-address=127.0.0.1",
      `--secure-port=${await freeLoopbackPort()}`,
      `--root-ca-file=${path.join(pki, "ca.crt")}`,
      `--service-account-private-key-file=${path.join(pki, "sa.key")}`,
      "--use-service-account-credentials=false",
      "--controllers=*",
      "--concurrent-deployment-syncs=2",
    ]);
    spawn("kube-scheduler", path.join(bin, "kube-scheduler"), [
      `--kubeconfig=${kubeconfigFile}`,
      "--leader-elect=false",
      "--bind-address=127.0.0.1",
      `--secure-port=${await freeLoopbackPort()}`,
    ]);

    const kubeletDir = path.join(dataDir, "kubelet");
    await mkdir(kubeletDir, { recursive: true });
    const kubeletConfig = path.join(dataDir, "kubelet-config.yaml");
    writeFileSync(
      kubeletConfig,
      `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# cgroups v1 here (v2 only at /sys/fs/cgroup/unified): kubelet >= 1.35 needs this to start.
failCgroupV1: false
cgroupDriver: cgroupfs
address: ${NODE_IP}
port: ${await freeLoopbackPort()}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: ${await freeLoopbackPort()}
containerRuntimeEndpoint: unix://${socket}
authentication:
  anonymous:
    enabled: true
  webhook:
    enabled: false
authorization:
  mode: AlwaysAllow
failSwapOn: false
# The images are imported, never pulled: no image garbage collection, no disk-pressure eviction.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: "1Mi"
  nodefs.available: "0%"
  imagefs.available: "0%"
  nodefs.inodesFree: "0%"
serializeImagePulls: false
registerNode: true
rotateCertificates: false
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
syncFrequency: 10s
fileCheckFrequency: 10s
nodeStatusUpdateFrequency: 5s
podLogsDir: ${path.join(dataDir, "pod-logs")}
`,
    );
    spawn("kubelet", path.join(bin, "kubelet"), [
      `--config=${kubeletConfig}`,
      `--kubeconfig=${kubeconfigFile}`,
      `--root-dir=${kubeletDir}`,
      `--cert-dir=${path.join(kubeletDir, "pki")}`,
      `--hostname-override=${NODE_NAME}`,
      `--node-ip=${NODE_IP}`,
      "--v=1",
    ]);

    const cp = controlPlane;
    const exited = (): string =>
      processes
        .filter((p) => p.child.exitCode !== null || p.child.signalCode !== null)
        .map((p) => `${p.name} exited (${p.child.exitCode ?? p.child.signalCode})`)
        .join(", ");
    await until(
      `node ${NODE_NAME} to be Ready`,
      async () => {
        if (exited()) throw new Error(exited());
        const reply = await rawKubeRequest(cp.kubeConfig, { method: "GET", path: `/api/v1/nodes/${NODE_NAME}` });
        if (reply.statusCode !== 200) return false;
        const node = JSON.parse(reply.body) as {
          status?: { conditions?: Array<{ type: string; status: string }> };
          spec?: { taints?: unknown[] };
        };
        return (
          node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true && (node.spec?.taints ?? []).length === 0
        );
      },
      180_000,
      logs,
    );
    await until(
      "the default ServiceAccount",
      async () =>
        (await rawKubeRequest(cp.kubeConfig, { method: "GET", path: "/api/v1/namespaces/default/serviceaccounts/default" })).statusCode ===
        200,
      60_000,
      logs,
    );

    const cluster: NodeCluster = {
      controlPlane: cp,
      kubeconfigFile,
      dataDir,
      kubectl: (args, input) =>
        runCommand(path.join(bin, "kubectl"), [`--kubeconfig=${kubeconfigFile}`, ...args], input === undefined ? {} : { input }),
      helm: (args) => runCommand(helmBinary(), [`--kubeconfig=${kubeconfigFile}`, ...args]),
      logs,
      async stop(): Promise<void> {
        // Pods first, while the kubelet runs: it stops them and releases their network (CNI
        // DEL). No scheduler or controllers by then, so nothing replaces them.
        for (const p of processes.filter((p) => p.name === "kube-scheduler" || p.name === "kube-controller-manager")) await p.stop(5_000);
        await cluster
          .kubectl(["delete", "pods", "--all", "--all-namespaces", "--grace-period=0", "--force", "--wait=false"])
          .catch(() => undefined);
        await until(
          "the node's pods to be gone",
          async () => (await mustRun("ctr", ["--address", socket, "-n", "k8s.io", "tasks", "ls", "-q"])).trim() === "",
          30_000,
        ).catch(() => undefined);
        await stopAll();
      },
    };
    return cluster;
  } catch (error) {
    const detail = logs();
    await stopAll().catch(() => undefined);
    throw new Error(`${String(error)}\n${detail}`, { cause: error });
  }
}
