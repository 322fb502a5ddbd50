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
