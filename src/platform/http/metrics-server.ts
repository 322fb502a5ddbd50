import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";
import { closeServer, listen, pathOf } from "./listen.js";

export interface MetricsServer {
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

/**
 * Plain HTTP on its own port, serving only GET /metrics (Prometheus scrapes it inside the
 * cluster; the admission port stays TLS-only).
 */
export async function startMetricsServer(registry: Registry, port: number, host = "0.0.0.0"): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    if (pathOf(req) !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: only /metrics is served on this port\n");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" }).end("use GET /metrics\n");
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": registry.contentType }).end(req.method === "HEAD" ? undefined : text),
      (error: unknown) => res.writeHead(500, { "content-type": "text/plain" }).end(`metrics collection failed: ${String(error)}\n`),
    );
  });
  server.keepAliveTimeout = 65_000;
  const bound = await listen(server, port, host);
  return { port: bound, server, close: () => closeServer(server) };
}
