// ResourceInformer against a scripted HTTP endpoint that speaks the list/watch protocol.
// The real API server is used in test/integration/webhook.test.ts; what it cannot do on
// demand — go silent mid-watch like a black-holed connection, or fail a fixed number of
// times — is scripted here.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { PassThrough } from "node:stream";
import { KubeConfig } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { WATCHED_KINDS } from "../../src/adapters/index.js";
import { customResourceClient } from "../../src/kube/discovery.js";
import { ResourceInformer, type RawObject, type RestartReason } from "../../src/kube/informer.js";
import { createLogger } from "../../src/logging.js";

const bucketKind = WATCHED_KINDS.find((k) => k.group === "s3.aws.upbound.io" && k.kind === "Bucket" && k.version === "v1beta2")!;
const collection = "/apis/s3.aws.upbound.io/v1beta2/buckets";

const bucket = (name: string, rv: string): RawObject => ({
  apiVersion: "s3.aws.upbound.io/v1beta2",
  kind: "Bucket",
  metadata: { name, resourceVersion: rv },
  spec: { forProvider: { region: "us-east-1" } },
});

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

interface FakeApi {
  server: Server;
  kubeConfig: KubeConfig;
  lists: URL[];
  watches: URL[];
  onList: Handler;
  onWatch: Handler;
}

const servers: Server[] = [];
const informers: ResourceInformer[] = [];
afterEach(async () => {
  await Promise.all(informers.splice(0).map((i) => i.stop()));
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

async function fakeApi(): Promise<FakeApi> {
  const api: FakeApi = {
    server: undefined as unknown as Server,
    kubeConfig: new KubeConfig(),
    lists: [],
    watches: [],
    onList: (_req, res) => res.end(JSON.stringify({ items: [], metadata: { resourceVersion: "1" } })),
    onWatch: () => undefined,
  };
  api.server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    res.setHeader("content-type", "application/json");
    if (url.pathname !== collection) return res.writeHead(404).end("{}");
    if (url.searchParams.get("watch") === "true") {
      api.watches.push(url);
      return api.onWatch(req, res, url);
    }
    api.lists.push(url);
    return api.onList(req, res, url);
  });
  servers.push(api.server);
  await new Promise<void>((r) => api.server.listen(0, "127.0.0.1", r));
  const port = (api.server.address() as AddressInfo).port;
  api.kubeConfig.loadFromOptions({
    clusters: [{ name: "fake", server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: "fake" }],
    contexts: [{ name: "fake", cluster: "fake", user: "fake" }],
    currentContext: "fake",
  });
  return api;
}

interface Recorder {
  replaces: string[][];
  events: string[];
  restarts: RestartReason[];
  logs: string[];
}

function startInformer(api: FakeApi, options: { watchdogMs?: number } = {}): { informer: ResourceInformer; seen: Recorder } {
  const seen: Recorder = { replaces: [], events: [], restarts: [], logs: [] };
  const logStream = new PassThrough();
  logStream.on("data", (c: Buffer) => seen.logs.push(c.toString()));
  const informer = new ResourceInformer(
    api.kubeConfig,
    customResourceClient(api.kubeConfig, bucketKind),
    {
      replace: (items) => seen.replaces.push(items.map((i) => i.metadata?.name ?? "?")),
      event: (type, o) => seen.events.push(`${type} ${o.metadata?.name}`),
    },
    {
      logger: process.env.DEBUG_INFORMER ? createLogger({ level: "debug" }) : createLogger({ destination: logStream, level: "debug" }),
      pageSize: 2,
      backoff: { initialMs: 20, maxMs: 100 },
      watchdogMs: options.watchdogMs ?? 60_000,
      onRestart: (reason) => seen.restarts.push(reason),
    },
  );
  informers.push(informer);
  informer.start();
  return { informer, seen };
}

async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const line = (type: string, object: unknown) => `${JSON.stringify({ type, object })}\n`;

describe("ResourceInformer", () => {
  it("lists every page, then watches from the list's resourceVersion with bookmarks", async () => {
    const api = await fakeApi();
    api.onList = (_req, res, url) => {
      const page2 = url.searchParams.get("continue") === "page-2";
      res.end(
        JSON.stringify({
          items: page2 ? [bucket("c", "9")] : [bucket("a", "7"), bucket("b", "8")],
          metadata: { resourceVersion: "10", ...(page2 ? {} : { continue: "page-2" }) },
        }),
      );
    };
    api.onWatch = (_req, res) => {
      res.write(line("ADDED", bucket("d", "11")));
      res.write(line("MODIFIED", bucket("a", "12")));
      res.write(line("BOOKMARK", { kind: "Bucket", apiVersion: "s3.aws.upbound.io/v1beta2", metadata: { resourceVersion: "15" } }));
      res.write(line("DELETED", bucket("b", "16")));
    };
    const { informer, seen } = startInformer(api);
    await informer.firstSync;
    expect(informer.synced).toBe(true);
    expect(seen.replaces).toEqual([["a", "b", "c"]]);
    expect(api.lists.map((u) => u.searchParams.get("limit"))).toEqual(["2", "2"]);
    await until("three events", () => seen.events.length === 3);
    expect(seen.events).toEqual(["ADDED d", "MODIFIED a", "DELETED b"]);
    const watch = api.watches[0]!;
    expect(watch.searchParams.get("resourceVersion")).toBe("10");
    expect(watch.searchParams.get("allowWatchBookmarks")).toBe("true");
    expect(Number(watch.searchParams.get("timeoutSeconds"))).toBeGreaterThanOrEqual(240);
  });

  it("re-watches from the last resourceVersion (bookmarks included) when the server closes the watch", async () => {
    const api = await fakeApi();
    api.onWatch = (_req, res) => {
      if (api.watches.length === 1) {
        res.write(line("ADDED", bucket("x", "20")));
        res.end(line("BOOKMARK", { metadata: { resourceVersion: "25" } }));
      }
    };
    const { seen } = startInformer(api);
    await until("a second watch", () => api.watches.length === 2);
    expect(api.watches[1]!.searchParams.get("resourceVersion")).toBe("25");
    expect(seen.restarts).toEqual(["closed"]);
    expect(api.lists).toHaveLength(1);
  });

  it("relists after 410 Gone (an ERROR event, as the API server sends it)", async () => {
    const api = await fakeApi();
    api.onWatch = (_req, res) => {
      if (api.watches.length === 1) {
        res.write(line("ERROR", { kind: "Status", apiVersion: "v1", status: "Failure", message: "too old resource version: 1 (5)", reason: "Expired", code: 410 }));
      }
    };
    const { seen } = startInformer(api);
    await until("a relist", () => seen.replaces.length === 2);
    expect(seen.restarts[0]).toBe("expired");
  });

  it("relists after a watch request answered 410", async () => {
    const api = await fakeApi();
    api.onWatch = (_req, res) => {
      if (api.watches.length === 1) res.writeHead(410).end(JSON.stringify({ kind: "Status", code: 410 }));
    };
    const { seen } = startInformer(api);
    await until("a relist", () => api.lists.length === 2);
    expect(seen.restarts[0]).toBe("expired");
  });

  it("restarts a watch that stays silent past the watchdog (no event, no bookmark)", async () => {
    const api = await fakeApi();
    api.onWatch = (_req, res) => {
      // First watch: headers, then nothing, like a connection black-holed by the network.
      if (api.watches.length === 1) res.flushHeaders();
      else res.write(line("ADDED", bucket("after-stall", "30")));
    };
    const { seen } = startInformer(api, { watchdogMs: 300 });
    await until("an event on the second watch", () => seen.events.includes("ADDED after-stall"));
    expect(seen.restarts[0]).toBe("stalled");
    expect(seen.logs.join("")).toContain("no event or bookmark within the watchdog time");
  });

  it("keeps retrying a failing list with backoff, then syncs", async () => {
    const api = await fakeApi();
    api.onList = (_req, res) => {
      if (api.lists.length <= 3) res.writeHead(500).end(JSON.stringify({ kind: "Status", code: 500, message: "etcd unavailable" }));
      else res.end(JSON.stringify({ items: [bucket("ok", "3")], metadata: { resourceVersion: "3" } }));
    };
    const { informer, seen } = startInformer(api);
    await informer.firstSync;
    expect(api.lists).toHaveLength(4);
    expect(seen.restarts).toEqual(["error", "error", "error"]);
    expect(seen.replaces).toEqual([["ok"]]);
    expect(seen.logs.join("")).toContain("listing failed; retrying with backoff");
  });

  it("a throwing handler is logged and does not end the watch", async () => {
    const api = await fakeApi();
    api.onWatch = (_req, res) => {
      res.write(line("ADDED", bucket("boom", "2")));
      res.write(line("ADDED", bucket("fine", "3")));
    };
    const events: string[] = [];
    const logStream = new PassThrough();
    let logs = "";
    logStream.on("data", (c: Buffer) => (logs += c.toString()));
    const informer = new ResourceInformer(
      api.kubeConfig,
      customResourceClient(api.kubeConfig, bucketKind),
      {
        replace: () => undefined,
        event: (_type, o) => {
          if (o.metadata?.name === "boom") throw new Error("handler bug");
          events.push(o.metadata?.name ?? "");
        },
      },
      { logger: createLogger({ destination: logStream }) },
    );
    informers.push(informer);
    informer.start();
    await until("the second event", () => events.includes("fine"));
    expect(logs).toContain("event handler failed");
  });

  it("stop() ends the watch loop promptly, even while backing off", async () => {
    const api = await fakeApi();
    api.onList = (_req, res) => res.writeHead(500).end("{}");
    const { informer } = startInformer(api);
    await until("a failed list", () => api.lists.length >= 1);
    const started = Date.now();
    await informer.stop();
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
