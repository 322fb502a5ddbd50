// A scripted HTTP endpoint that speaks just enough of the Kubernetes list/watch protocol
// for informer tests: collections with objects, watch streams the test writes to, and
// hooks to misbehave (silence, 410, errors) on demand. The real API server is exercised
// in test/integration/webhook.test.ts.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

export interface Collection {
  items: Record<string, unknown>[];
  resourceVersion: string;
  /** Open watch responses, to push events into. */
  watchers: ServerResponse[];
  lists: URL[];
  watches: URL[];
  /** Replace to script a list answer; default: all items, no paging. */
  onList?: Handler;
  /** Replace to script a watch; default: keep the stream open and register it in `watchers`. */
  onWatch?: Handler;
}

export interface FakeApi {
  kubeConfig: KubeConfig;
  collection(path: string): Collection;
  /** Writes one watch event to every open watch of `path`. */
  emit(path: string, type: string, object: unknown): void;
  close(): void;
}

export const watchLine = (type: string, object: unknown): string => `${JSON.stringify({ type, object })}\n`;

export async function startFakeApi(): Promise<FakeApi> {
  const collections = new Map<string, Collection>();
  const collection = (path: string): Collection => {
    let c = collections.get(path);
    if (!c) collections.set(path, (c = { items: [], resourceVersion: "1", watchers: [], lists: [], watches: [] }));
    return c;
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    res.setHeader("content-type", "application/json");
    const c = collections.get(url.pathname);
    if (!c) return res.writeHead(404).end(JSON.stringify({ kind: "Status", code: 404 }));
    if (url.searchParams.get("watch") === "true") {
      c.watches.push(url);
      if (c.onWatch) return c.onWatch(req, res, url);
      res.flushHeaders();
      c.watchers.push(res);
      res.on("close", () => c.watchers.splice(c.watchers.indexOf(res), 1));
      return;
    }
    c.lists.push(url);
    if (c.onList) return c.onList(req, res, url);
    res.end(JSON.stringify({ items: c.items, metadata: { resourceVersion: c.resourceVersion } }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: "fake", server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: "fake" }],
    contexts: [{ name: "fake", cluster: "fake", user: "fake" }],
    currentContext: "fake",
  });
  return {
    kubeConfig,
    collection,
    emit(path, type, object) {
      for (const w of collection(path).watchers) w.write(watchLine(type, object));
    },
    close() {
      server.closeAllConnections();
      server.close();
    },
  };
}

export async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
