/**
 * Listening, probes and closing, shared by the three servers: the webhook (HTTPS), the
 * metrics port and the reconciler's health port.
 */
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from "node:http";
import type { Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";

export type AnyHttpServer = HttpServer | HttpsServer;

/** "Ready", or why not (the reason ends up in the /readyz answer and the logs). */
export interface Readiness {
  ready: boolean;
  reason?: string;
}

/** Binds `server` to host:port; resolves with the bound port (useful with port 0). */
export function listen(server: AnyHttpServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Stops accepting, lets requests in flight finish, then resolves; connections still open
 * after `timeoutMs` are cut. Idle keep-alive connections would hold close() open, so they
 * are closed at once.
 */
export function closeServer(server: AnyHttpServer, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), timeoutMs);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** The path of a request URL, without the query. */
export function pathOf(req: IncomingMessage): string {
  const url = req.url ?? "/";
  const query = url.indexOf("?");
  return query < 0 ? url : url.slice(0, query);
}

/** Writes a complete answer with its length (one write: headers and body together). */
export function sendText(
  res: ServerResponse,
  status: number,
  contentType: string,
  text: string,
  extraHeaders: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(text), ...extraHeaders });
  res.end(text);
}

export const JSON_CONTENT_TYPE = "application/json; charset=utf-8";

export function sendJson(res: ServerResponse, status: number, body: unknown, extraHeaders: Record<string, string> = {}): void {
  sendText(res, status, JSON_CONTENT_TYPE, JSON.stringify(body), extraHeaders);
}

/**
 * GET/HEAD /healthz and /readyz, the same on every port: /healthz answers "ok" as long as the
 * process serves, /readyz `{"ready":true}` (200) or `{"ready":false,"reason":…}` (503).
 * Returns false for any other request (the caller answers it).
 */
export function answerProbe(req: IncomingMessage, res: ServerResponse, path: string, ready: () => Readiness): boolean {
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  if (path === "/healthz") {
    sendText(res, 200, "text/plain; charset=utf-8", "ok\n");
    return true;
  }
  if (path === "/readyz") {
    const state = ready();
    sendJson(res, state.ready ? 200 : 503, state.ready ? { ready: true } : { ready: false, reason: state.reason ?? "not ready" });
    return true;
  }
  return false;
}

/** Plain HTTP serving only /healthz and /readyz (the reconciler's health port). */
export async function startHealthServer(
  port: number,
  host: string,
  ready: () => Readiness,
): Promise<{ server: HttpServer; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (!answerProbe(req, res, pathOf(req), ready))
      sendText(res, 404, "text/plain; charset=utf-8", "not found: this port serves /healthz and /readyz\n");
  });
  server.keepAliveTimeout = 65_000;
  const bound = await listen(server, port, host);
  return { server, port: bound, close: () => closeServer(server) };
}
