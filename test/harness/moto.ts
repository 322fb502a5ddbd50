// moto's AWS emulator (moto_server) on a free loopback port, for tests that
// call AWS APIs. Installed by scripts/control-plane/moto.sh.
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { freeLoopbackPort, motoServerBinary, spawnManaged } from "./control-plane.js";

export interface Moto {
  /** http://127.0.0.1:<port>: pass as `endpoint` to AWS SDK clients. */
  endpoint: string;
  /** Forgets every resource created so far (POST /moto-api/reset). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** Static fake credentials that moto accepts; never real ones. */
export const motoCredentials = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };

function motoRequest(url: string, method: "GET" | "POST"): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, timeout: 2_000 }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on("timeout", () => request.destroy(new Error("timeout")));
    request.on("error", reject);
    request.end();
  });
}

export async function startMoto(options: { startTimeoutMs?: number } = {}): Promise<Moto> {
  const binary = motoServerBinary();
  const port = await freeLoopbackPort();
  const endpoint = `http://127.0.0.1:${port}`;
  const logDir = await mkdtemp(path.join(os.tmpdir(), "s3vg-moto-"));
  const logFile = path.join(logDir, "moto.log");
  const server = spawnManaged("moto_server", binary, ["-H", "127.0.0.1", "-p", String(port)], logFile);
  const stop = async (): Promise<void> => {
    await server.stop(5_000);
    await rm(logDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  let exited = false;
  void server.exited.then(() => (exited = true));
  for (;;) {
    if (exited) {
      const log = readFileSync(logFile, "utf8").trim().split("\n").slice(-15).join("\n");
      await stop();
      throw new Error(`moto_server (${binary}) exited before answering on ${endpoint}; run scripts/control-plane/moto.sh. Log:\n${log}`);
    }
    const status = await motoRequest(`${endpoint}/moto-api/`, "GET").catch(() => 0);
    if (status === 200) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`moto_server did not answer on ${endpoint} within the start timeout`);
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }

  return {
    endpoint,
    async reset(): Promise<void> {
      const status = await motoRequest(`${endpoint}/moto-api/reset`, "POST");
      if (status !== 200) throw new Error(`moto reset at ${endpoint} answered HTTP ${status}`);
    },
    stop,
  };
}

// ---------------------------------------------------------------------------
// EC2 in trouble: an HTTP proxy in front of moto that decides, request by request, to pass it
// on, to answer with an EC2 error, or to hold it without any answer.

/** What the proxy does with one request: pass it to moto, hold it forever, or answer an EC2 error. */
export type Ec2ProxyAnswer = "pass" | "hang" | { status: number; code: string };

export interface Ec2FaultProxy {
  /** http://127.0.0.1:<port>: the EC2 endpoint to give the code under test. */
  endpoint: string;
  /** Requests held without an answer right now. */
  held(): number;
  close(): Promise<void>;
}

/** The XML body EC2 sends with an error code (e.g. RequestLimitExceeded when throttling). */
export function ec2ErrorXml(code: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${code} (s3vg test proxy)</Message></Error></Errors><RequestID>00000000-0000-0000-0000-000000000000</RequestID></Response>`;
}

/** `answer` sees each request's body (the EC2 Query form, e.g. Action=DescribeVpcEndpoints). */
export async function startEc2FaultProxy(target: string, answer: (body: Buffer) => Ec2ProxyAnswer): Promise<Ec2FaultProxy> {
  const upstream = new URL(target);
  const heldResponses = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const decision = answer(body);
      if (decision === "hang") {
        heldResponses.add(res);
        res.once("close", () => heldResponses.delete(res));
        return;
      }
      if (decision !== "pass") {
        const xml = ec2ErrorXml(decision.code);
        res.writeHead(decision.status, { "content-type": "text/xml;charset=UTF-8", "content-length": Buffer.byteLength(xml) });
        res.end(xml);
        return;
      }
      const forward = http.request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      forward.on("error", (error) => {
        res.writeHead(502);
        res.end(String(error));
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    held: () => heldResponses.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of heldResponses) res.socket?.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
