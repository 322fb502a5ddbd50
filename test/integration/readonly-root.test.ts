// The image runs as uid 65532 on a read-only root filesystem with /tmp an emptyDir (see the
// Dockerfile and the chart's securityContext). No container engine here, so this test builds
// the same conditions with a private mount namespace: / remounted read-only, a small tmpfs
// on /tmp, the built app and Node bind-mounted read-only, and `serve` started as 65532 with no
// capabilities. It must start, answer reviews, serve metrics, and log no write error.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { generateCertificates, writeCertificates } from "../../src/platform/http/certificates.js";
import { describeIntegration, repoRoot } from "../harness/control-plane.js";
import { upjetBucketPolicy } from "../helpers/manifests.js";

const NON_ROOT = 65532;
const cli = path.join(repoRoot, "dist/src/cli/main.js");

const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

function get(port: number, pathName: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    httpRequest({ host: "127.0.0.1", port, path: pathName }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on("error", reject)
      .end();
  });
}

describeIntegration(
  "serve as uid 65532 on a read-only root filesystem",
  () => {
    let dir: string;
    let child: ChildProcess;
    let output = "";
    let ports: { port: number; metricsPort: number };
    let caPem: string;

    beforeAll(async () => {
      if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first`);
      dir = mkdtempSync(path.join(tmpdir(), "s3vg-readonly-"));
      const bundle = generateCertificates({ names: ["127.0.0.1"], days: 1 });
      caPem = bundle.caPem;
      await writeCertificates(path.join(dir, "tls"), bundle);
      const nodeDir = path.dirname(path.dirname(process.execPath));
      // The key file is 0600 root: the pod's Secret volume is readable by the pod's group, so
      // here a copy on the tmpfs, owned by 65532, stands in for it.
      const script = [
        "set -e",
        "mount --make-rprivate /",
        "mount -t tmpfs -o size=8m tmpfs /mnt",
        "mkdir /mnt/node /mnt/app /mnt/tls",
        `mount --bind ${shellQuote(nodeDir)} /mnt/node`,
        `mount --bind ${shellQuote(repoRoot)} /mnt/app`,
        `cp ${shellQuote(path.join(dir, "tls"))}/* /mnt/tls/ && chown -R ${NON_ROOT}:${NON_ROOT} /mnt/tls`,
        "mount -o remount,bind,ro /mnt/app",
        "mount -o remount,bind,ro /mnt/node",
        `mount -t tmpfs -o size=16m,mode=1777 tmpfs /tmp`,
        "mount -o remount,bind,ro /",
        "mount -o remount,ro /mnt",
        // Proof the conditions hold: nothing outside /tmp takes a write, even as root.
        `for f in /probe /mnt/app/probe /mnt/tls/probe; do if touch "$f" 2>/dev/null; then echo "WRITABLE $f"; fi; done`,
        `exec setpriv --reuid=${NON_ROOT} --regid=${NON_ROOT} --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs ` +
          "/mnt/node/bin/node /mnt/app/dist/src/cli/main.js serve --tls-cert /mnt/tls/tls.crt --tls-key /mnt/tls/tls.key " +
          "--port 0 --metrics-port 0 --host 127.0.0.1 --no-kube",
      ].join("\n");
      child = spawn("unshare", ["--mount", "sh", "-c", script], { stdio: ["ignore", "pipe", "pipe"] });
      child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
      child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
      const deadline = Date.now() + 30_000;
      for (;;) {
        const match = /"msg":"ports","port":(\d+),"metricsPort":(\d+)/.exec(output);
        if (match) {
          ports = { port: Number(match[1]), metricsPort: Number(match[2]) };
          break;
        }
        if (child.exitCode !== null || Date.now() > deadline)
          throw new Error(`serve did not start on a read-only root (exit ${child.exitCode}):\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }, 60_000);

    afterAll(() => {
      child?.kill("SIGKILL");
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("runs as 65532 without capabilities", () => {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      expect(/^Uid:\s+(\d+)\s+(\d+)/m.exec(status)?.slice(1)).toEqual([String(NON_ROOT), String(NON_ROOT)]);
      expect(/^CapEff:\s+(\w+)/m.exec(status)?.[1]).toBe("0000000000000000");
    });

    it("answers a review, serves metrics and health, and logs no write error", async () => {
      const object = upjetBucketPolicy({
        policy: {
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: "*",
              Action: "s3:GetObject",
              Resource: "arn:aws:s3:::b/*",
              Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } },
            },
          ],
        },
      });
      const body = JSON.stringify({
        apiVersion: "admission.k8s.io/v1",
        kind: "AdmissionReview",
        request: {
          uid: "ro-1",
          kind: { group: "s3.aws.upbound.io", version: "v1beta1", kind: "BucketPolicy" },
          operation: "CREATE",
          name: object.metadata.name,
          object,
        },
      });
      const answer = await new Promise<{ response: { uid: string; allowed: boolean } }>((resolve, reject) => {
        httpsRequest(
          {
            host: "127.0.0.1",
            port: ports.port,
            path: "/validate",
            method: "POST",
            ca: caPem,
            headers: { "content-type": "application/json" },
          },
          (res) => {
            let text = "";
            res.on("data", (c: Buffer) => (text += c.toString()));
            res.on("end", () => resolve(JSON.parse(text) as { response: { uid: string; allowed: boolean } }));
          },
        )
          .on("error", reject)
          .end(body);
      });
      expect(answer.response).toMatchObject({ uid: "ro-1", allowed: false });
      expect((await get(ports.metricsPort, "/metrics")).body).toContain("s3_vpce_guard_admission_requests_total");
      expect(output).not.toContain("WRITABLE");
      expect(output).not.toMatch(/EROFS|EACCES|EPERM|read-only file system/i);
      expect(child.exitCode).toBeNull();
    });
  },
  ["mount-namespace"],
);
