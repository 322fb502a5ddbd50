/** Flags shared by the long-running commands (`serve`, `reconcile`). */
import { existsSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { parseDurationMs } from "../core/util/duration.js";
import { createLogger, type Logger } from "../platform/telemetry/logging.js";

const SERVICE_ACCOUNT_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

export const LEASE_ARG_OPTIONS = {
  "lease-name": { type: "string", default: "s3-vpce-guard" },
  "lease-namespace": { type: "string" },
  identity: { type: "string" },
  "lease-duration": { type: "string", default: "15s" },
  "renew-deadline": { type: "string", default: "10s" },
  "retry-period": { type: "string", default: "2s" },
  "no-leader-election": { type: "boolean", default: false },
} as const;

export const LEASE_USAGE = `[--lease-name s3-vpce-guard] [--lease-namespace NS] [--identity ID] [--lease-duration 15s] [--renew-deadline 10s]
                          [--retry-period 2s] [--no-leader-election]`;

export interface LeaseFlags {
  leaseName: string;
  leaseNamespace: string;
  identity: string;
  leaderElection: boolean;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

interface LeaseValues {
  "lease-name"?: string;
  "lease-namespace"?: string;
  identity?: string;
  "lease-duration"?: string;
  "renew-deadline"?: string;
  "retry-period"?: string;
  "no-leader-election"?: boolean;
}

/** The pod's namespace: POD_NAMESPACE (downward API), the service-account file, else "default". */
function defaultNamespace(): string {
  if (process.env.POD_NAMESPACE) return process.env.POD_NAMESPACE;
  if (existsSync(SERVICE_ACCOUNT_NAMESPACE)) return readFileSync(SERVICE_ACCOUNT_NAMESPACE, "utf8").trim();
  return "default";
}

function defaultIdentity(): string {
  return process.env.POD_NAME ?? `${hostname()}_${process.pid}`;
}

export function portOf(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${flag} must be a port number 0-65535, got "${value}"`);
  return n;
}

export function durationOf(flag: string, value: string | undefined): number {
  const ms = value === undefined ? undefined : parseDurationMs(value);
  if (ms === undefined || ms <= 0) throw new Error(`--${flag} must be a duration such as "15s" or "500ms", got "${value}"`);
  return ms;
}

/** Lease settings from parsed flags (absent flags take their defaults); throws an Error naming the flag on bad input. */
export function leaseFlags(values: LeaseValues): LeaseFlags {
  const flags: LeaseFlags = {
    leaseName: values["lease-name"] ?? LEASE_ARG_OPTIONS["lease-name"].default,
    leaseNamespace: values["lease-namespace"] ?? defaultNamespace(),
    identity: values.identity ?? defaultIdentity(),
    leaderElection: !values["no-leader-election"],
    leaseDurationMs: durationOf("lease-duration", values["lease-duration"] ?? LEASE_ARG_OPTIONS["lease-duration"].default),
    renewDeadlineMs: durationOf("renew-deadline", values["renew-deadline"] ?? LEASE_ARG_OPTIONS["renew-deadline"].default),
    retryPeriodMs: durationOf("retry-period", values["retry-period"] ?? LEASE_ARG_OPTIONS["retry-period"].default),
  };
  if (flags.renewDeadlineMs >= flags.leaseDurationMs) {
    throw new Error(`--renew-deadline (${values["renew-deadline"]}) must be shorter than --lease-duration (${values["lease-duration"]})`);
  }
  if (flags.retryPeriodMs >= flags.renewDeadlineMs) {
    throw new Error(`--retry-period (${values["retry-period"]}) must be shorter than --renew-deadline (${values["renew-deadline"]})`);
  }
  return flags;
}

/** The Reconciler's `lease` option from the flags. */
export function leaseOption(flags: LeaseFlags) {
  return flags.leaderElection
    ? {
        name: flags.leaseName,
        namespace: flags.leaseNamespace,
        leaseDurationMs: flags.leaseDurationMs,
        renewDeadlineMs: flags.renewDeadlineMs,
        retryPeriodMs: flags.retryPeriodMs,
      }
    : (false as const);
}

/**
 * Runs a started service until SIGTERM/SIGINT, then stops it gracefully. Logs unhandled
 * rejections instead of dying on them: a long-running process must keep serving.
 */
export async function runUntilSignal(command: string, logger: Logger, stop: () => Promise<void>): Promise<void> {
  await new Promise<void>((resolve) => {
    const shutdown = (signal: NodeJS.Signals) => {
      logger.info({ signal }, `${command}: shutting down`);
      void stop().then(resolve, (error: unknown) => {
        logger.error({ err: error }, `${command}: error while shutting down`);
        resolve();
      });
    };
    process.once("SIGTERM", shutdown);
    process.once("SIGINT", shutdown);
  });
  logger.info(`${command}: stopped`);
}

/**
 * A start-up failure as one line with the fix in it. Errors of our own already carry their
 * fix; the operating system's listen errors are translated (their stack tells a user nothing).
 */
export function startupErrorMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const e = error as NodeJS.ErrnoException & { address?: string; port?: number };
  const where = e.address !== undefined && e.port !== undefined ? `${e.address}:${e.port}` : "a port";
  if (e.code === "EADDRINUSE") {
    return `cannot listen on ${where}: another process uses that port; stop it, or pass another --port / --metrics-port / --health-port (0 picks a free one)`;
  }
  if (e.code === "EACCES" && e.syscall === "listen") {
    return `cannot listen on ${where}: permission denied (ports below 1024 need privileges); pass a port above 1023`;
  }
  if (e.code === "EADDRNOTAVAIL") return `cannot listen on ${where}: no such address on this machine; check --host`;
  return (error.message.split("\n")[0] ?? "").slice(0, 500);
}

/**
 * The line that tells scripts and tests which ports were bound (they may ask for port 0): a
 * structured log line like the others, with `msg` before the ports so that it reads
 * `"msg":"ports","port":N,"metricsPort":N`.
 */
export function portsLine(ports: Record<string, number>): string {
  return `${JSON.stringify({ level: "info", time: new Date().toISOString(), pid: process.pid, name: "s3-vpce-guard", msg: "ports", ...ports })}\n`;
}

/**
 * The shared life of `serve` and `reconcile`: start (exit code 2 with one line saying why and
 * how to fix it when that fails; the stack only at debug level), print the bound ports as one
 * JSON line, then run until a signal. Exit code.
 */
export async function runService(
  command: string,
  start: (logger: Logger) => Promise<{ ports: Record<string, number>; stop(): Promise<void> }>,
): Promise<number> {
  const logger = createLogger();
  process.on("unhandledRejection", (reason) =>
    logger.error({ err: reason }, "unhandled promise rejection (kept running); please report this"),
  );
  let running: Awaited<ReturnType<typeof start>>;
  try {
    running = await start(logger);
  } catch (error) {
    logger.debug({ err: error }, `${command}: could not start`);
    logger.flush();
    process.stderr.write(`s3-vpce-guard ${command}: ${startupErrorMessage(error)}\n`);
    return 2;
  }
  // Signals are handled before the ports line goes out: a script that reads it and at once
  // sends SIGTERM must get a graceful stop, not Node's default (death by signal).
  const stopped = runUntilSignal(command, logger, running.stop);
  process.stdout.write(portsLine(running.ports));
  await stopped;
  return 0;
}
