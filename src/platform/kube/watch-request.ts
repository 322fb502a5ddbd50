/**
 * One watch request (GET …?watch=true), streamed line by line. Our own request instead of
 * client-node's `Watch`: that one aborts a watch after 30 s without data through a timeout
 * that is private, and the informer's watchdog already decides when a quiet watch is dead.
 * Authentication, TLS and proxies come from the KubeConfig (`applyToHTTPSOptions`, public).
 */
import { request as httpRequest, STATUS_CODES, type IncomingMessage } from "node:http";
import { request as httpsRequest, type RequestOptions } from "node:https";
import { createInterface } from "node:readline";
import type { KubeConfig } from "@kubernetes/client-node";

/** One event of the stream: its `type` and `object` as the API server sent them. */
export type WatchLineHandler = (type: string, object: Record<string, unknown>) => void;

/** A watch that failed with an HTTP status (410 Gone, 403 …); `statusCode` as in client-node's errors. */
export class WatchStatusError extends Error {
  constructor(readonly statusCode: number) {
    super(STATUS_CODES[statusCode] ?? `HTTP ${statusCode}`);
    this.name = "WatchStatusError";
  }
}

/**
 * Opens the watch. Resolves true once the API server answered 200 (the stream runs on),
 * false when the request failed; either way `done` is called exactly once when the stream
 * ends: `null` for a normal close, else the error. Aborting `signal` ends it without `done`
 * mattering (callers ignore it after they abort). Rejects only when the request could not be
 * built (no current cluster, credentials that cannot be loaded).
 */
export async function openWatch(
  kubeConfig: KubeConfig,
  path: string,
  query: Record<string, string | number | boolean>,
  onLine: WatchLineHandler,
  done: (error: unknown) => void,
  signal: AbortSignal,
): Promise<boolean> {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error("the kubeconfig has no current cluster");
  const url = new URL(cluster.server + path);
  url.searchParams.set("watch", "true");
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, String(value));
  const options: RequestOptions = { method: "GET", headers: { Accept: "application/json" } };
  await kubeConfig.applyToHTTPSOptions(options);
  const send = url.protocol === "http:" ? httpRequest : httpsRequest;

  let ended = false;
  const end = (error: unknown): void => {
    if (ended) return;
    ended = true;
    done(error);
  };
  return new Promise<boolean>((resolve) => {
    const req = send(url, { ...options, signal }, (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        res.on("error", () => undefined); // the status is the answer; a cut while draining adds nothing
        res.resume();
        end(new WatchStatusError(res.statusCode ?? 0));
        return resolve(false);
      }
      resolve(true);
      const lines = createInterface({ input: res, crlfDelay: Infinity });
      // readline closes after it has emitted the last line; `close` of the response is the fallback.
      lines.on("close", () => end(null));
      lines.on("error", end);
      res.on("error", end);
      res.on("close", () => end(null));
      lines.on("line", (line) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          return; // not a watch event: nothing to act on
        }
        if (typeof parsed !== "object" || parsed === null) return;
        const { type, object } = parsed as { type?: unknown; object?: unknown };
        if (typeof type === "string" && typeof object === "object" && object !== null) onLine(type, object as Record<string, unknown>);
      });
    });
    req.on("error", (error) => {
      end(error);
      resolve(false);
    });
    req.end();
  });
}
