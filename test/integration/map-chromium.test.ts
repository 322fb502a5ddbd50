// `map --output html` in a real browser: the page of examples/explain/ is opened in headless
// Chromium (Debian's `chromium`, installed by scripts/chromium.sh) over the DevTools protocol
// (node's WebSocket). It must load without console errors, have the expected nodes and edges
// in its DOM, show an edge's deciding statements on click and a node's on hover, and a
// manifest name holding markup must stay text. A PNG screenshot is written to a temp dir
// (scripts/map-screenshot.sh makes docs/map.png).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { runMap } from "../../src/cli/map.js";
import { upjetBucket, upjetEndpoint } from "../helpers/manifests.js";
import { gate, repoRoot } from "../harness/control-plane.js";

const CHROMIUM_CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

function chromiumPath(): string | undefined {
  for (const candidate of CHROMIUM_CANDIDATES) {
    if (spawnSync(candidate, ["--version"], { encoding: "utf8", timeout: 30_000 }).status === 0) return candidate;
  }
  return undefined;
}

const chromium = chromiumPath();
const runs = gate(
  chromium ? undefined : `chromium not installed (none of ${CHROMIUM_CANDIDATES.join(", ")}): run scripts/chromium.sh`,
  "map Chromium",
  "S3VG_REQUIRE_INTEGRATION",
);

async function mapOutput(args: string[]): Promise<string> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (c: Buffer) => (out += c.toString()));
  stderr.on("data", (c: Buffer) => (err += c.toString()));
  const code = await runMap(args, { stdout, stderr });
  if (code !== 0) throw new Error(`map ${args.join(" ")} exited ${code}: ${err}`);
  return out;
}

interface DevToolsEvent {
  method: string;
  params: Record<string, unknown>;
}

/** The smallest DevTools client: one page, commands by id, events kept in order. */
class Page {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  readonly events: DevToolsEvent[] = [];
  private readonly waiters: { method: string; resolve: () => void }[] = [];

  private constructor(private readonly socket: WebSocket) {
    socket.addEventListener("message", (message) => {
      const data = JSON.parse(String(message.data)) as {
        id?: number;
        result?: Record<string, unknown>;
        error?: { message: string };
        method?: string;
        params?: Record<string, unknown>;
      };
      if (data.id !== undefined) {
        const waiter = this.pending.get(data.id);
        this.pending.delete(data.id);
        if (data.error) waiter?.reject(new Error(data.error.message));
        else waiter?.resolve(data.result ?? {});
      } else if (data.method) {
        this.events.push({ method: data.method, params: data.params ?? {} });
        for (const w of this.waiters.filter((x) => x.method === data.method)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    });
  }

  static async open(url: string): Promise<Page> {
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener("open", () => resolve(), { once: true });
      socket.addEventListener("error", () => reject(new Error(`cannot connect to ${url}`)), { once: true });
    });
    return new Page(socket);
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    this.socket.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  /** The next event `method`, within 30 s. */
  next(method: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${method} within 30 s`)), 30_000);
      this.waiters.push({ method, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  async evaluate<T>(expression: string): Promise<T> {
    const result = await this.send("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true });
    if (result.exceptionDetails) throw new Error(`${expression}: ${JSON.stringify(result.exceptionDetails)}`);
    return (result.result as { value: T }).value;
  }

  /** Console errors, uncaught exceptions, browser log errors (CSP, failed loads) and dialogs. */
  problems(): string[] {
    return this.events.flatMap((e) => {
      if (e.method === "Runtime.consoleAPICalled" && (e.params.type === "error" || e.params.type === "assert"))
        return [`console.${String(e.params.type)}: ${JSON.stringify(e.params.args)}`];
      if (e.method === "Runtime.exceptionThrown") return [`exception: ${JSON.stringify(e.params.exceptionDetails)}`];
      if (e.method === "Log.entryAdded" && (e.params.entry as { level: string }).level === "error")
        return [`log: ${(e.params.entry as { text: string }).text}`];
      if (e.method === "Page.javascriptDialogOpening") return [`dialog: ${String(e.params.message)}`];
      return [];
    });
  }

  close(): void {
    this.socket.close();
  }
}

describe.skipIf(!runs)("map --output html in headless Chromium", () => {
  let work: string;
  let browser: ChildProcess | undefined;
  let page: Page;
  const killBrowser = () => {
    // Its own process group: the renderer and GPU processes go with it.
    if (browser?.pid !== undefined && browser.exitCode === null) {
      try {
        process.kill(-browser.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  };

  async function load(file: string): Promise<void> {
    page.events.length = 0;
    // From about:blank each time: a new document, so a load event (a hash change alone fires none).
    const blank = page.next("Page.loadEventFired");
    await page.send("Page.navigate", { url: "about:blank" });
    await blank;
    page.events.length = 0;
    const loaded = page.next("Page.loadEventFired");
    await page.send("Page.navigate", { url: `file://${file}` });
    await loaded;
  }

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), "s3vg-map-chromium-"));
    writeFileSync(path.join(work, "map.html"), await mapOutput(["--output", "html", path.join(repoRoot, "examples/explain/")]));
    const hostile = [
      upjetEndpoint({ name: "ep", awsId: "vpce-0aaaaaaaaaaaaaaa1", vpcId: "vpc-<img src=x onerror=alert(2)>" }),
      upjetBucket({ name: "x", bucketName: "<script>alert(1)</script>" }),
    ];
    writeFileSync(path.join(work, "hostile.yaml"), hostile.map((o) => stringify(o)).join("---\n"));
    writeFileSync(path.join(work, "hostile.html"), await mapOutput(["--output", "html", path.join(work, "hostile.yaml")]));
    writeFileSync(path.join(work, "map.svg"), await mapOutput(["--output", "svg", path.join(repoRoot, "examples/explain/")]));

    browser = spawn(
      chromium!,
      [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--remote-debugging-port=0",
        `--user-data-dir=${path.join(work, "profile")}`,
        "--window-size=1560,900",
        "about:blank",
      ],
      {
        detached: true,
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    process.once("exit", killBrowser);
    const endpoint = await new Promise<string>((resolve, reject) => {
      let stderr = "";
      const timer = setTimeout(() => reject(new Error(`chromium did not open DevTools within 60 s: ${stderr.slice(-2000)}`)), 60_000);
      browser!.stderr!.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /DevTools listening on (ws:\/\/127\.0\.0\.1:(\d+)\/\S+)/.exec(stderr);
        if (match) {
          clearTimeout(timer);
          resolve(`http://127.0.0.1:${match[2]}`);
        }
      });
      browser!.once("exit", (code) => reject(new Error(`chromium exited ${code}: ${stderr.slice(-2000)}`)));
    });
    const targets = (await (await fetch(`${endpoint}/json/list`)).json()) as { type: string; webSocketDebuggerUrl: string }[];
    page = await Page.open(targets.find((t) => t.type === "page")!.webSocketDebuggerUrl);
    for (const domain of ["Runtime", "Log", "Page"]) await page.send(`${domain}.enable`);
  }, 120_000);

  afterAll(() => {
    page?.close();
    killBrowser();
    process.removeListener("exit", killBrowser);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("loads without console errors, with the example's nodes and edges in the DOM", async () => {
    await load(path.join(work, "map.html"));
    const dom = await page.evaluate<{
      kinds: Record<string, number>;
      passages: Record<string, number>;
      groups: number;
      legend: number;
      endpoints: string[];
    }>(`(() => {
      const count = (selector) => document.querySelectorAll(selector).length;
      return {
        kinds: Object.fromEntries(["vpc", "endpoint", "bucket", "fold"].map((k) => [k, count('g.node[data-kind="' + k + '"]')])),
        passages: Object.fromEntries(["link", "all", "some", "none", "unknown"].map((p) => [p, count('g.edge[data-passage="' + p + '"]')])),
        groups: count("g.group"),
        legend: count("g.legend-passage"),
        endpoints: [...document.querySelectorAll('g.node[data-kind="endpoint"]')].map((g) => g.dataset.key),
      };
    })()`);
    expect(page.problems()).toEqual([]);
    expect(dom.kinds).toEqual({ vpc: 3, endpoint: 3, bucket: 1, fold: 0 });
    expect(dom.passages).toEqual({ link: 3, all: 0, some: 1, none: 1, unknown: 0 });
    expect(dom.groups).toBe(4);
    expect(dom.legend).toBe(4);
    expect(dom.endpoints).toEqual(["VPCEndpoint payments-s3-gateway", "VPCEndpoint analytics-s3-gateway", "VPCEndpoint eu-s3-gateway"]);
  });

  it("an edge's click and a node's hover show the deciding statements and the findings", async () => {
    await load(path.join(work, "map.html"));
    const edge = await page.evaluate<{ title: string; body: string; pinned: boolean }>(`(() => {
      const g = document.querySelector('g.edge[data-passage="some"]');
      g.dispatchEvent(new MouseEvent("click", { bubbles: true }));
      return { title: document.getElementById("details-title").textContent, body: document.getElementById("details-body").textContent, pinned: g.classList.contains("pinned") };
    })()`);
    expect(edge.title).toBe("VPCEndpoint payments-s3-gateway → acme-payments-data");
    expect(edge.body).toContain("s3:GetObject: conditional when aws:PrincipalOrgID = o-a1b2c3d4e5");
    expect(edge.body).toContain("(Sid PaymentsBucketForOurOrg)");
    expect(edge.pinned).toBe(true);
    // Unpin, then hover a node with the real mouse.
    await page.evaluate(`document.querySelector('g.edge.pinned').dispatchEvent(new MouseEvent("click", { bubbles: true }))`);
    const box = await page.evaluate<{ x: number; y: number }>(`(() => {
      const r = document.querySelector('g.node[data-key="VPCEndpoint analytics-s3-gateway"] rect').getBoundingClientRect();
      return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
    })()`);
    await page.send("Input.dispatchMouseEvent", { type: "mouseMoved", x: box.x, y: box.y });
    const node = await page.evaluate<{ title: string; body: string }>(
      `({ title: document.getElementById("details-title").textContent, body: document.getElementById("details-body").textContent })`,
    );
    expect(node.title).toBe("VPCEndpoint analytics-s3-gateway");
    expect(node.body).toMatch(/findings: \d+ deny, \d+ warn, \d+ audit/);
    expect(page.problems()).toEqual([]);
  });

  it("map.html#ID opens with that edge selected", async () => {
    const html = readFileSync(path.join(work, "map.html"), "utf8");
    const id = /<g class="edge" id="(e\d+)"[^>]*data-passage="none"/.exec(html)![1]!;
    await load(`${path.join(work, "map.html")}#${id}`);
    const title = await page.evaluate<string>(`document.getElementById("details-title").textContent`);
    expect(title).toBe("VPCEndpoint analytics-s3-gateway → acme-payments-data");
    expect(await page.evaluate<boolean>(`document.getElementById(${JSON.stringify(id)}).classList.contains("pinned")`)).toBe(true);
    expect(page.problems()).toEqual([]);
  });

  it("writes a PNG screenshot of the whole page", async () => {
    await load(path.join(work, "map.html"));
    const metrics = await page.send("Page.getLayoutMetrics");
    const size = metrics.cssContentSize as { width: number; height: number };
    const shot = await page.send("Page.captureScreenshot", {
      format: "png",
      captureBeyondViewport: true,
      clip: { x: 0, y: 0, width: size.width, height: size.height, scale: 1 },
    });
    const png = Buffer.from(shot.data as string, "base64");
    const file = path.join(work, "map.png");
    writeFileSync(file, png);
    const written = readFileSync(file);
    expect(written.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    // The IHDR chunk: the page's width and height in pixels.
    expect(written.readUInt32BE(16)).toBe(Math.ceil(size.width));
    expect(written.readUInt32BE(20)).toBeGreaterThan(400);
  });

  it("a manifest name holding markup stays text: no script runs, no element is made of it", async () => {
    await load(path.join(work, "hostile.html"));
    const dom = await page.evaluate<{ bucket: string; scripts: number; images: number; vpcGroup: string }>(`(() => ({
      bucket: document.querySelector('g.node[data-kind="bucket"] text').textContent,
      scripts: document.scripts.length,
      images: document.querySelectorAll("img").length,
      vpcGroup: document.querySelector('g.group[data-kind="vpc"] text').textContent,
    }))()`);
    expect(page.problems()).toEqual([]);
    expect(dom.bucket).toBe("<script>alert(1)</script>");
    expect(dom.scripts).toBe(1);
    expect(dom.images).toBe(0);
    expect(dom.vpcGroup).toBe("VPC vpc-<img src=x onerror=alert(2)>");
  });

  it("the SVG output parses as XML in the browser (DOMParser image/svg+xml)", async () => {
    const svg = readFileSync(path.join(work, "map.svg"), "utf8");
    const parsed = await page.evaluate<{ error: string | null; root: string; nodes: number }>(`(() => {
      const doc = new DOMParser().parseFromString(${JSON.stringify(svg)}, "image/svg+xml");
      const error = doc.querySelector("parsererror");
      return { error: error ? error.textContent : null, root: doc.documentElement.localName, nodes: doc.querySelectorAll("g.node").length };
    })()`);
    expect(parsed).toEqual({ error: null, root: "svg", nodes: 7 });
  });
});
