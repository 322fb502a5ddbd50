/**
 * List-then-watch for one resource, hardened against what makes watches stop silently:
 * network cuts that never close the socket (a watchdog restarts a watch that saw no event
 * and no bookmark for too long), 410 Gone (relist), API server restarts and errors
 * (restart with exponential backoff and jitter). Handlers see a full `replace` after
 * every (re)list and single events in between.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { componentLogger, type Logger } from "../telemetry/logging.js";
import { Backoff, type Sleep } from "../util/backoff.js";
import { openWatch } from "./watch-request.js";
import { withTimeout } from "../util/timeout.js";

export interface RawObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface ListPage {
  items: RawObject[];
  resourceVersion: string;
  continueToken?: string;
}

/** How to list one resource and where to watch it. */
export interface ResourceClient {
  /** For logs and metric labels, e.g. "VPCEndpoint.ec2.aws.upbound.io". */
  label: string;
  /** REST collection path across namespaces, e.g. /apis/ec2.aws.upbound.io/v1beta2/vpcendpoints. */
  path: string;
  list(limit: number, continueToken: string | undefined): Promise<ListPage>;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

export interface InformerHandlers {
  /** Every object that exists now; objects not in `items` are gone. */
  replace(items: RawObject[]): void;
  event(type: WatchEventType, object: RawObject): void;
}

/** Why a watch ended; every reason but "closed" (a normal server-side timeout) is a restart worth counting. */
export type RestartReason = "closed" | "expired" | "stalled" | "error";

export interface InformerOptions {
  logger: Logger;
  /** Restart a watch that delivered no event and no bookmark for this long. Default 5 min. */
  watchdogMs?: number;
  /** Objects per list page. Default 500. */
  pageSize?: number;
  /** Backoff after errors: full jitter below a ceiling that starts at initialMs and doubles up to maxMs. */
  backoff?: { initialMs: number; maxMs: number };
  /** The backoff's timer and randomness (tests inject them). */
  sleep?: Sleep;
  random?: () => number;
  /** Each list request must answer within this. Default 30 s. */
  requestTimeoutMs?: number;
  /** Server-side watch timeout range in seconds (spread so watches do not restart together). */
  watchTimeoutSeconds?: readonly [number, number];
  onRestart?: (reason: RestartReason) => void;
  /**
   * A list or watch went through after failures: the API server is back. The owner wakes its
   * other informers (retryNow) so that none sits out the rest of a backoff of up to 30 s.
   */
  onRecovered?: () => void;
}

type WatchOutcome = RestartReason | "stopped";

interface ErrorWithStatus {
  statusCode?: unknown;
  code?: unknown;
  name?: unknown;
}

/** HTTP status of a client-node error (ApiException.code, Watch error.statusCode). */
export function statusOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as ErrorWithStatus;
  if (typeof e.statusCode === "number") return e.statusCode;
  if (typeof e.code === "number") return e.code;
  return undefined;
}

/** A failed request's HTTP status as a metric label, or "network" when none came back. */
export function httpStatusLabel(error: unknown): string {
  const status = statusOf(error);
  return status === undefined ? "network" : String(status);
}

/** The `message` of the API server's Status body of an ApiException (its `body` is the response text). */
function apiStatusMessage(error: unknown): string | undefined {
  let body = (error as { body?: unknown }).body;
  if (typeof body === "string") {
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      return undefined;
    }
  }
  const message = typeof body === "object" && body !== null ? (body as { message?: unknown }).message : undefined;
  return typeof message === "string" && message !== "" ? message : undefined;
}

/** Appended to every 403: what to change, and where. */
export const FORBIDDEN_FIX =
  "fix: grant that verb on that resource to this process's service account (the chart's ClusterRole; for leases its leader-election Role: charts/s3-vpce-guard/templates/rbac.yaml)";

/**
 * One line for routine connection failures (API server restarts, network cuts): a stack
 * trace per watch per retry would drown the logs. An API error is its HTTP status and the
 * API server's own message (for a 403 that names the user, the verb and the resource), plus
 * the fix for a 403. `request` ("watch /apis/…") names what was asked when the error cannot
 * (a watch's error carries only the status text).
 */
export function reasonOf(error: unknown, request?: string): string {
  if (!(error instanceof Error)) return String(error);
  const status = statusOf(error);
  const apiMessage = apiStatusMessage(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  const reason =
    status !== undefined && apiMessage !== undefined
      ? `HTTP ${status}: ${apiMessage}`
      : `${status !== undefined && request ? `HTTP ${status} on ${request}: ` : ""}${error.message.split("\n")[0]}${cause}`;
  return `${reason.slice(0, 300)}${status === 403 ? `; ${FORBIDDEN_FIX}` : ""}`;
}

export class ResourceInformer {
  private stopped = true;
  private resourceVersion = "";
  private relistRequested = false;
  private endWatch: ((outcome: WatchOutcome) => void) | undefined;
  private abortList: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private resolveFirstSync!: () => void;
  /** True once the first full list has been handed to `replace`. */
  synced = false;
  readonly firstSync: Promise<void>;
  private readonly watchdogMs: number;
  private backoff = new Backoff({ initialMs: 500, maxMs: 30_000 });

  constructor(
    private readonly kubeConfig: KubeConfig,
    readonly client: ResourceClient,
    private readonly handlers: InformerHandlers,
    private readonly options: InformerOptions,
  ) {
    this.firstSync = new Promise((resolve) => (this.resolveFirstSync = resolve));
    this.watchdogMs = options.watchdogMs ?? 300_000;
    this.log = componentLogger(options.logger, "watch");
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.backoff = new Backoff({
      ...(this.options.backoff ?? { initialMs: 500, maxMs: 30_000 }),
      ...(this.options.sleep ? { sleep: this.options.sleep } : {}),
      ...(this.options.random ? { random: this.options.random } : {}),
    });
    this.running = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.endWatch?.("stopped");
    this.backoff.stop();
    this.abortList?.();
    await this.running;
  }

  /**
   * Cuts a running backoff short and starts the ramp again from its first step: another
   * informer just reached the API server, so this one probably can too.
   */
  retryNow(): void {
    this.backoff.wake();
  }

  /** Lists again at the next opportunity (e.g. when something the adapters read changed). */
  relist(): void {
    this.relistRequested = true;
    this.endWatch?.("expired");
  }

  private readonly log: Logger;

  private async run(): Promise<void> {
    let needList = true;
    while (!this.stopped) {
      try {
        if (needList || this.relistRequested) {
          this.relistRequested = false;
          await this.listAll();
          needList = false;
        }
        const outcome = await this.watchOnce();
        if (outcome === "stopped") return;
        this.options.onRestart?.(outcome);
        if (outcome === "expired") {
          needList = true;
          this.log.info({ resource: this.client.label }, "resource version expired (410 Gone); relisting");
        } else if (outcome === "stalled") {
          this.log.warn(
            { resource: this.client.label, watchdogMs: this.watchdogMs },
            "no event or bookmark within the watchdog time; restarting the watch",
          );
        } else if (outcome === "error") {
          await this.backoff.wait();
        }
      } catch (error) {
        if (this.stopped) return;
        const status = statusOf(error);
        this.log.warn(
          { resource: this.client.label, status, reason: reasonOf(error, `list ${this.client.path}`), failures: this.backoff.failures + 1 },
          "listing failed; retrying with backoff",
        );
        this.options.onRestart?.(status === 410 ? "expired" : "error");
        needList = true;
        await this.backoff.wait();
      }
    }
  }

  private async listAll(): Promise<void> {
    const items: RawObject[] = [];
    let continueToken: string | undefined;
    let resourceVersion = "";
    do {
      const stopped = new Promise<never>((_, reject) => (this.abortList = () => reject(new Error("informer stopped"))));
      const page = await Promise.race([
        withTimeout(
          this.client.list(this.options.pageSize ?? 500, continueToken),
          this.options.requestTimeoutMs ?? 30_000,
          `listing ${this.client.label}`,
        ),
        stopped,
      ]).finally(() => (this.abortList = undefined));
      if (this.stopped) return;
      items.push(...page.items);
      continueToken = page.continueToken || undefined;
      resourceVersion = page.resourceVersion;
    } while (continueToken);
    this.resourceVersion = resourceVersion;
    this.safely(() => this.handlers.replace(items));
    if (this.backoff.failures > 0) this.options.onRecovered?.();
    this.backoff.reset();
    if (!this.synced) {
      this.synced = true;
      this.resolveFirstSync();
      this.log.info({ resource: this.client.label, objects: items.length }, "initial list complete");
    }
  }

  private watchOnce(): Promise<WatchOutcome> {
    return new Promise<WatchOutcome>((resolve) => {
      let settled = false;
      const controller = new AbortController();
      let lastActivity = Date.now();
      const finish = (outcome: WatchOutcome) => {
        if (settled) return;
        settled = true;
        clearInterval(watchdog);
        this.endWatch = undefined;
        controller.abort();
        resolve(outcome);
      };
      this.endWatch = finish;
      // The one inactivity timer: a watch without an event or bookmark for watchdogMs is dead.
      const watchdog = setInterval(
        () => {
          if (Date.now() - lastActivity > this.watchdogMs) finish("stalled");
        },
        Math.max(50, Math.min(this.watchdogMs / 4, 5_000)),
      );
      watchdog.unref();
      const [min, max] = this.options.watchTimeoutSeconds ?? [240, 360];
      const timeoutSeconds = Math.floor(min + Math.random() * (max - min));
      const onEvent = (type: string, object: RawObject & { code?: unknown }): void => {
        if (settled) return;
        lastActivity = Date.now();
        if (type === "BOOKMARK") {
          const rv = object.metadata?.resourceVersion;
          if (rv) this.resourceVersion = rv;
          return;
        }
        if (type === "ERROR") {
          finish(object.code === 410 ? "expired" : "error");
          return;
        }
        if (type !== "ADDED" && type !== "MODIFIED" && type !== "DELETED") return;
        const rv = object.metadata?.resourceVersion;
        if (rv) this.resourceVersion = rv;
        this.backoff.reset();
        this.safely(() => this.handlers.event(type, object));
      };
      const onEnd = (error: unknown): void => {
        if (settled) return;
        if (!error) return finish("closed");
        const status = statusOf(error);
        if (status === 410) return finish("expired");
        this.log.warn(
          { resource: this.client.label, status, reason: reasonOf(error, `watch ${this.client.path}`) },
          "connection failed; retrying with backoff",
        );
        finish("error");
      };
      openWatch(
        this.kubeConfig,
        this.client.path,
        { resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds },
        onEvent,
        onEnd,
        controller.signal,
      ).then(
        (connected) => {
          // Connected. failures stays as it is until an event arrives, so a watch that
          // connects and fails at once still backs off; the others may go now.
          if (connected && !settled && this.backoff.failures > 0) this.options.onRecovered?.();
        },
        (error: unknown) => {
          this.log.warn(
            { resource: this.client.label, reason: reasonOf(error, `watch ${this.client.path}`) },
            "could not start; retrying with backoff",
          );
          finish("error");
        },
      );
    });
  }

  /** A bug in a handler must not end the watch loop. */
  private safely(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.log.error({ resource: this.client.label, err: error }, "event handler failed; please report this");
    }
  }
}
