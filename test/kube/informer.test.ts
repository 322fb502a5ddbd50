// ResourceInformer against a scripted HTTP endpoint that speaks the list/watch protocol (fake-api.ts).
// The real API server is used in test/integration/webhook.test.ts; what it cannot do on
// demand — go silent mid-watch like a black-holed connection, or fail a fixed number of
// times — is scripted here.
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { WATCHED_KINDS } from "../../src/core/adapters/index.js";
import { customResourceClient } from "../../src/platform/kube/discovery.js";
import { ResourceInformer, type RawObject, type RestartReason } from "../../src/platform/kube/informer.js";
import { createLogger } from "../../src/platform/telemetry/logging.js";
import type { Sleep } from "../../src/platform/util/backoff.js";
import { ManualClock } from "../helpers/manual-clock.js";
import { startFakeApi, until, watchLine, type Collection, type FakeApi } from "./fake-api.js";

const bucketKind = WATCHED_KINDS.find((k) => k.group === "s3.aws.upbound.io" && k.kind === "Bucket" && k.version === "v1beta2")!;
const collection = "/apis/s3.aws.upbound.io/v1beta2/buckets";

const bucket = (name: string, rv: string): RawObject => ({
  apiVersion: "s3.aws.upbound.io/v1beta2",
  kind: "Bucket",
  metadata: { name, resourceVersion: rv },
  spec: { forProvider: { region: "us-east-1" } },
});

const apis: FakeApi[] = [];
const informers: ResourceInformer[] = [];
afterEach(async () => {
  await Promise.all(informers.splice(0).map((i) => i.stop()));
  for (const api of apis.splice(0)) api.close();
});

/** One scripted bucket collection; `c.onList` / `c.onWatch` script its answers. */
async function fakeApi(): Promise<{ api: FakeApi; c: Collection }> {
  const api = await startFakeApi();
  apis.push(api);
  const c = api.collection(collection);
  c.onWatch = () => undefined;
  return { api, c };
}

interface Recorder {
  replaces: string[][];
  events: string[];
  restarts: RestartReason[];
  logs: string[];
  recoveries: number;
}

function startInformer(
  { api }: { api: FakeApi },
  options: { watchdogMs?: number; sleep?: Sleep } = {},
): { informer: ResourceInformer; seen: Recorder } {
  const seen: Recorder = { replaces: [], events: [], restarts: [], logs: [], recoveries: 0 };
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
      onRecovered: () => seen.recoveries++,
      ...(options.sleep ? { sleep: options.sleep } : {}),
    },
  );
  informers.push(informer);
  informer.start();
  return { informer, seen };
}

const line = watchLine;

describe("ResourceInformer", () => {
  it("lists every page, then watches from the list's resourceVersion with bookmarks", async () => {
    const fake = await fakeApi();
    const { c } = fake;
    c.onList = (_req, res, url) => {
      const page2 = url.searchParams.get("continue") === "page-2";
      res.end(
        JSON.stringify({
          items: page2 ? [bucket("c", "9")] : [bucket("a", "7"), bucket("b", "8")],
          metadata: { resourceVersion: "10", ...(page2 ? {} : { continue: "page-2" }) },
        }),
      );
    };
    c.onWatch = (_req, res) => {
      res.write(line("ADDED", bucket("d", "11")));
      res.write(line("MODIFIED", bucket("a", "12")));
      res.write(line("BOOKMARK", { kind: "Bucket", apiVersion: "s3.aws.upbound.io/v1beta2", metadata: { resourceVersion: "15" } }));
      res.write(line("DELETED", bucket("b", "16")));
    };
    const { informer, seen } = startInformer(fake);
    await informer.firstSync;
    expect(informer.synced).toBe(true);
    expect(seen.replaces).toEqual([["a", "b", "c"]]);
    expect(c.lists.map((u) => u.searchParams.get("limit"))).toEqual(["2", "2"]);
    await until("three events", () => seen.events.length === 3);
    expect(seen.events).toEqual(["ADDED d", "MODIFIED a", "DELETED b"]);
    const watch = c.watches[0]!;
    expect(watch.searchParams.get("resourceVersion")).toBe("10");
    expect(watch.searchParams.get("allowWatchBookmarks")).toBe("true");
    expect(Number(watch.searchParams.get("timeoutSeconds"))).toBeGreaterThanOrEqual(240);
  });

  it("re-watches from the last resourceVersion (bookmarks included) when the server closes the watch", async () => {
    const fake = await fakeApi();
    const { c } = fake;
    c.onWatch = (_req, res) => {
      if (c.watches.length === 1) {
        res.write(line("ADDED", bucket("x", "20")));
        res.end(line("BOOKMARK", { metadata: { resourceVersion: "25" } }));
      }
    };
    const { seen } = startInformer(fake);
    await until("a second watch", () => c.watches.length === 2);
    expect(c.watches[1]!.searchParams.get("resourceVersion")).toBe("25");
    expect(seen.restarts).toEqual(["closed"]);
    expect(c.lists).toHaveLength(1);
  });

  it("relists after 410 Gone (an ERROR event, as the API server sends it)", async () => {
    const fake = await fakeApi();
    const { c } = fake;
    c.onWatch = (_req, res) => {
      if (c.watches.length === 1) {
        res.write(
          line("ERROR", {
            kind: "Status",
            apiVersion: "v1",
            status: "Failure",
            message: "too old resource version: 1 (5)",
            reason: "Expired",
            code: 410,
          }),
        );
      }
    };
    const { seen } = startInformer(fake);
    await until("a relist", () => seen.replaces.length === 2);
    expect(seen.restarts[0]).toBe("expired");
  });

  it("relists after a watch request answered 410", async () => {
    const fake = await fakeApi();
    const { c } = fake;
    c.onWatch = (_req, res) => {
      if (c.watches.length === 1) res.writeHead(410).end(JSON.stringify({ kind: "Status", code: 410 }));
    };
    const { seen } = startInformer(fake);
    await until("a relist", () => c.lists.length === 2);
    expect(seen.restarts[0]).toBe("expired");
  });

  it("restarts a watch that stays silent past the watchdog (no event, no bookmark)", async () => {
    const fake = await fakeApi();
    const { c } = fake;
    c.onWatch = (_req, res) => {
      // First watch: headers, then nothing, like a connection black-holed by the network.
      if (c.watches.length === 1) res.flushHeaders();
      else res.write(line("ADDED", bucket("after-stall", "30")));
    };
    const { seen } = startInformer(fake, { watchdogMs: 300 });
    await until("an event on the second watch", () => seen.events.includes("ADDED after-stall"));
    expect(seen.restarts[0]).toBe("stalled");
    expect(seen.logs.join("")).toContain("no event or bookmark within the watchdog time");
  });

  it("keeps retrying a failing list with backoff, then syncs", async () => {
    const fake = await fakeApi();
    const { c } = fake;
    c.onList = (_req, res) => {
      if (c.lists.length <= 3) res.writeHead(500).end(JSON.stringify({ kind: "Status", code: 500, message: "etcd unavailable" }));
      else res.end(JSON.stringify({ items: [bucket("ok", "3")], metadata: { resourceVersion: "3" } }));
    };
    const { informer, seen } = startInformer(fake);
    await informer.firstSync;
    expect(c.lists).toHaveLength(4);
    expect(seen.restarts).toEqual(["error", "error", "error"]);
    expect(seen.replaces).toEqual([["ok"]]);
    expect(seen.recoveries).toBe(1);
    expect(seen.logs.join("")).toContain("listing failed; retrying with backoff");
  });

  it("a throwing handler is logged and does not end the watch", async () => {
    const fake = await fakeApi();
    const { c } = fake;
    c.onWatch = (_req, res) => {
      res.write(line("ADDED", bucket("boom", "2")));
      res.write(line("ADDED", bucket("fine", "3")));
    };
    const events: string[] = [];
    const logStream = new PassThrough();
    let logs = "";
    logStream.on("data", (c: Buffer) => (logs += c.toString()));
    const informer = new ResourceInformer(
      fake.api.kubeConfig,
      customResourceClient(fake.api.kubeConfig, bucketKind),
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

  it("retryNow() cuts a long backoff short (and the woken informer does not echo a recovery)", async () => {
    const fake = await fakeApi();
    const { c } = fake;
    let down = true;
    c.onList = (_req, res) => {
      if (down) res.writeHead(503).end(JSON.stringify({ kind: "Status", code: 503, message: "apiserver restarting" }));
      else res.end(JSON.stringify({ items: [bucket("back", "9")], metadata: { resourceVersion: "9" } }));
    };
    let recoveries = 0;
    // Virtual time that never moves: only retryNow() can end the backoff.
    const clock = new ManualClock();
    const informer = new ResourceInformer(
      fake.api.kubeConfig,
      customResourceClient(fake.api.kubeConfig, bucketKind),
      { replace: () => undefined, event: () => undefined },
      {
        logger: createLogger({ destination: new PassThrough() }),
        backoff: { initialMs: 60_000, maxMs: 60_000 },
        sleep: clock.sleep,
        onRecovered: () => recoveries++,
      },
    );
    informers.push(informer);
    informer.start();
    await until("a backoff after the failed list", () => clock.pending === 1);
    expect(c.lists).toHaveLength(1);
    expect(clock.requested[0]).toBeLessThan(60_000);
    down = false;
    informer.retryNow();
    await informer.firstSync;
    expect(clock.now()).toBe(0);
    expect(c.lists).toHaveLength(2);
    expect(recoveries).toBe(0);
  });

  it("stop() ends the watch loop at once, even while backing off", async () => {
    const fake = await fakeApi();
    const { c } = fake;
    c.onList = (_req, res) => res.writeHead(500).end("{}");
    const clock = new ManualClock();
    const { informer } = startInformer(fake, { sleep: clock.sleep });
    await until("a backoff after the failed list", () => clock.pending === 1);
    // The virtual clock never reaches the end of the backoff: only stop() can end the wait.
    await informer.stop();
    expect(clock.pending).toBe(0);
    expect(clock.now()).toBe(0);
    expect(c.lists).toHaveLength(1);
  });
});
