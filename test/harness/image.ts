// The image built from the Dockerfile by scripts/image.sh, run by runc under the chart's
// container securityContext: read-only root, uid/gid 65532 (fsGroup 65532), no capabilities,
// no privilege escalation, the RuntimeDefault-like seccomp profile of containers-common.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe } from "vitest";
import { cacheRoot, gate, isExecutable, repoRoot } from "./control-plane.js";

const execFileAsync = promisify(execFile);

export const NON_ROOT = 65532;
const SECCOMP_PROFILE = "/usr/share/containers/seccomp.json";

/** What scripts/image.sh builds and where it saves it. */
export function imageReference(): { ref: string; archive: string } {
  const version = (JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { version: string }).version;
  return { ref: `localhost/s3-vpce-guard:${version}`, archive: path.join(cacheRoot(), "image", `s3-vpce-guard-${version}.oci.tar`) };
}

export function commandPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":").concat(["/usr/sbin", "/usr/bin", "/sbin"])) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

/** Why the image cannot be run with runc here, or undefined when it can. */
export function imageUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "not root: runc and buildah need root";
  for (const tool of ["runc", "buildah"])
    if (!commandPath(tool)) return `${tool} not installed: run scripts/image.sh (it installs buildah) and scripts/node/host-packages.sh`;
  if (!existsSync(SECCOMP_PROFILE)) return `${SECCOMP_PROFILE} missing (containers-common)`;
  const { archive } = imageReference();
  if (!existsSync(archive)) return `image archive ${archive} missing: run scripts/image.sh`;
  const newer = newerImageInput(statSync(archive).mtimeMs);
  if (newer) return `image archive ${archive} is older than ${path.relative(repoRoot, newer)}: run scripts/image.sh`;
  return undefined;
}

/** A file the Dockerfile copies that changed after the archive was written (a stale image tests old code). */
function newerImageInput(archiveMtimeMs: number): string | undefined {
  const files = ["Dockerfile", "package.json", "package-lock.json", "tsconfig.json", "tsconfig.build.json"].map((f) =>
    path.join(repoRoot, f),
  );
  const src = path.join(repoRoot, "src");
  for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files.push(path.join(entry.parentPath, entry.name));
  }
  return files.find((f) => existsSync(f) && statSync(f).mtimeMs > archiveMtimeMs);
}

/**
 * `describe` for the end-to-end suites: runs when `unmet()` returns undefined; otherwise
 * prints one line and skips, or throws when S3VG_REQUIRE_E2E=1 (CI) so a missing image or
 * node can never pass as a green run.
 */
export function describeE2e(name: string, body: () => void, unmet: () => string | undefined): void {
  describe.skipIf(!gate(unmet(), "e2e", "S3VG_REQUIRE_E2E"))(name, body);
}

interface ContainersSeccompRule {
  names: string[];
  action: string;
  args?: unknown[];
  errnoRet?: number;
  includes?: { caps?: string[]; arches?: string[]; minKernel?: string };
  excludes?: { caps?: string[]; arches?: string[] };
}

/**
 * containers-common's seccomp.json as an OCI profile for a process with no capabilities on
 * amd64 (the same filter podman applies by default; kubelet's RuntimeDefault is containerd's
 * equivalent of it).
 */
export function runtimeDefaultSeccomp(): object {
  const profile = JSON.parse(readFileSync(SECCOMP_PROFILE, "utf8")) as {
    defaultAction: string;
    defaultErrnoRet?: number;
    syscalls: ContainersSeccompRule[];
  };
  const amd64 = ["amd64", "x86", "x32"];
  const applies = (rule: ContainersSeccompRule): boolean =>
    (rule.includes?.caps ?? []).length === 0 &&
    (rule.includes?.arches === undefined || rule.includes.arches.some((a) => amd64.includes(a))) &&
    !(rule.excludes?.arches ?? []).some((a) => amd64.includes(a));
  return {
    defaultAction: profile.defaultAction,
    ...(profile.defaultErrnoRet !== undefined ? { defaultErrnoRet: profile.defaultErrnoRet } : {}),
    architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    syscalls: profile.syscalls.filter(applies).map((r) => ({
      names: r.names,
      action: r.action,
      ...(r.args ? { args: r.args } : {}),
      ...(r.errnoRet !== undefined ? { errnoRet: r.errnoRet } : {}),
    })),
  };
}

interface ImageConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
  User?: string;
}

export interface RuncContainer {
  id: string;
  /** Host pid of the container's process. */
  pid: number;
  output(): string;
  exited: Promise<number | null>;
  /** `runc exec` as uid/gid 65532; resolves with the exit code and output. */
  exec(args: string[]): Promise<{ code: number; output: string }>;
  stop(): Promise<void>;
}

async function run(command: string, args: string[]): Promise<string> {
  try {
    return (await execFileAsync(command, args, { maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    throw new Error(`${command} ${args.join(" ")} failed: ${stderr.trim()}`);
  }
}

/**
 * Runs the image's entrypoint with `args` under runc. The container shares the host's network
 * namespace (so a loopback webhook URL reaches it); `mounts` are read-only binds like the
 * pod's Secret and ConfigMap volumes, /tmp a 64 MiB tmpfs like the chart's emptyDir.
 */
export async function runImage(args: string[], mounts: Array<{ source: string; destination: string }>): Promise<RuncContainer> {
  const { archive } = imageReference();
  const id = `s3vg-e2e-${process.pid}-${Date.now().toString(36)}`;
  const bundle = await mkdtemp(path.join(os.tmpdir(), "s3vg-runc-"));
  const working = (await run("buildah", ["from", "--name", id, `oci-archive:${archive}`])).trim();
  const cleanups: Array<() => Promise<unknown>> = [
    () => rm(bundle, { recursive: true, force: true }),
    () => run("buildah", ["rm", working]),
  ];
  const cleanup = async (): Promise<void> => {
    for (const step of cleanups.reverse()) await step().catch(() => undefined);
  };
  try {
    const rootfs = (await run("buildah", ["mount", working])).trim();
    const inspected = JSON.parse(await run("buildah", ["inspect", "--type", "container", working])) as { OCIv1?: { config?: ImageConfig } };
    const config = inspected.OCIv1?.config ?? {};
    await run("runc", ["spec", "--bundle", bundle]);
    const specFile = path.join(bundle, "config.json");
    const spec = JSON.parse(await readFile(specFile, "utf8")) as {
      process: Record<string, unknown>;
      root: Record<string, unknown>;
      mounts: Array<Record<string, unknown>>;
      linux: { namespaces: Array<{ type: string }>; resources?: Record<string, unknown> } & Record<string, unknown>;
      hostname?: string;
    };
    const noCaps = { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] };
    spec.process = {
      ...spec.process,
      terminal: false,
      user: { uid: NON_ROOT, gid: NON_ROOT, additionalGids: [NON_ROOT] },
      args: [...(config.Entrypoint ?? []), ...args],
      env: config.Env ?? ["PATH=/usr/local/bin:/usr/bin:/bin"],
      cwd: config.WorkingDir || "/",
      capabilities: noCaps,
      noNewPrivileges: true,
    };
    spec.root = { path: rootfs, readonly: true };
    spec.hostname = id.slice(0, 63);
    spec.mounts.push({ destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "size=64m", "mode=1777"] });
    for (const m of mounts)
      spec.mounts.push({
        destination: m.destination,
        type: "bind",
        source: m.source,
        options: ["rbind", "ro", "nosuid", "nodev", "noexec"],
      });
    spec.linux.namespaces = spec.linux.namespaces.filter((n) => n.type !== "network");
    spec.linux.seccomp = runtimeDefaultSeccomp();
    spec.linux.resources = { ...spec.linux.resources, memory: { limit: 512 * 1024 * 1024 } };
    await writeFile(specFile, JSON.stringify(spec, null, 2));

    let output = "";
    const child: ChildProcess = spawn("runc", ["run", "--bundle", bundle, id], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout?.on("data", (c: Buffer) => (output = (output + c.toString()).slice(-200_000)));
    child.stderr?.on("data", (c: Buffer) => (output = (output + c.toString()).slice(-200_000)));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    cleanups.push(() => run("runc", ["delete", "--force", id]));
    let pid = 0;
    const deadline = Date.now() + 30_000;
    while (pid === 0) {
      if (child.exitCode !== null) throw new Error(`runc run exited ${child.exitCode}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`runc did not start ${id} within 30 s:\n${output}`);
      const state = await run("runc", ["state", id]).catch(() => "");
      if (state) pid = (JSON.parse(state) as { pid: number }).pid;
      else await new Promise((r) => setTimeout(r, 100));
    }
    return {
      id,
      pid,
      output: () => output,
      exited,
      async exec(command: string[]): Promise<{ code: number; output: string }> {
        try {
          const { stdout, stderr } = await execFileAsync("runc", ["exec", "--user", `${NON_ROOT}:${NON_ROOT}`, id, ...command]);
          return { code: 0, output: stdout + stderr };
        } catch (error) {
          const e = error as { code?: number; stdout?: string; stderr?: string };
          return { code: typeof e.code === "number" ? e.code : -1, output: (e.stdout ?? "") + (e.stderr ?? "") };
        }
      },
      async stop(): Promise<void> {
        await run("runc", ["kill", id, "KILL"]).catch(() => undefined);
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
        await cleanup();
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
