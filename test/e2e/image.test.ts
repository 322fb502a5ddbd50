// The image built from the Dockerfile (scripts/image.sh), run by runc as the chart runs it —
// read-only root, uid 65532, no capabilities, no privilege escalation, seccomp — serving
// `serve`, with a real kube-apiserver calling it as a validating webhook (by URL + caBundle).
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { KubeObject } from "../../src/core/adapters/types.js";
import { generateCertificates, writeCertificates } from "../../src/platform/http/certificates.js";
import { freeLoopbackPort, rawKubeRequest, startControlPlane, unmetNeed, type ControlPlane } from "../harness/control-plane.js";
import { installCrds, objectPath } from "../harness/crds.js";
import { describeE2e, imageUnavailable, NON_ROOT, runImage, type RuncContainer } from "../harness/image.js";
import { until } from "../harness/wait.js";
import { getText } from "../harness/http.js";
import { registerValidatingWebhook, waitForWebhook, watchedKindRules } from "../harness/webhook-registration.js";
import { PRIVATE_SOURCE_IP_POLICY, upjetBucketPolicy, upjetEndpoint } from "../helpers/manifests.js";

const webhookName = "s3-vpce-guard-image-e2e";

const metrics = (port: number): Promise<string> => getText(`http://127.0.0.1:${port}/metrics`);

describeE2e(
  "the image from the Dockerfile under runc with the chart's securityContext, behind a real API server",
  () => {
    let controlPlane: ControlPlane;
    let container: RuncContainer;
    let dir: string;
    let metricsPort: number;

    const create = (o: KubeObject, dryRun = false) =>
      rawKubeRequest(controlPlane.kubeConfig, { method: "POST", path: `${objectPath(o)}${dryRun ? "?dryRun=All" : ""}`, body: o });

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), "s3vg-image-e2e-"));
      chmodSync(dir, 0o755);
      const bundle = generateCertificates({ names: ["127.0.0.1", "localhost"], days: 1 });
      const tlsDir = path.join(dir, "tls");
      await writeCertificates(tlsDir, bundle);
      // As the pod's Secret volume with fsGroup 65532: readable by the pod's group.
      for (const f of ["tls.crt", "tls.key"]) chownSync(path.join(tlsDir, f), 0, NON_ROOT);
      chmodSync(path.join(tlsDir, "tls.key"), 0o640);
      chmodSync(tlsDir, 0o755);
      const port = await freeLoopbackPort();
      metricsPort = await freeLoopbackPort();
      [controlPlane, container] = await Promise.all([
        startControlPlane(),
        runImage(
          [
            "serve",
            "--tls-cert",
            "/tls/tls.crt",
            "--tls-key",
            "/tls/tls.key",
            "--port",
            String(port),
            "--metrics-port",
            String(metricsPort),
            "--host",
            "127.0.0.1",
            "--no-kube",
          ],
          [{ source: tlsDir, destination: "/tls" }],
        ),
      ]);
      await until(
        "serve in the container to log its ports",
        () => container.output().includes('"msg":"ports"'),
        30_000,
        () => container.output(),
      );
      await installCrds(controlPlane.kubeConfig);
      await registerValidatingWebhook(controlPlane.kubeConfig, {
        name: webhookName,
        url: `https://127.0.0.1:${port}/validate`,
        caBundlePem: bundle.caPem,
        rules: watchedKindRules(),
        timeoutSeconds: 5,
      });
      const probe = upjetBucketPolicy({ name: "probe", policy: PRIVATE_SOURCE_IP_POLICY });
      await waitForWebhook(async () => (await create(probe, true)).statusCode === 403);
    }, 300_000);

    afterAll(async () => {
      await container?.stop();
      await controlPlane?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("runs as 65532 with no capabilities, no new privileges and a seccomp filter", () => {
      const status = readFileSync(`/proc/${container.pid}/status`, "utf8");
      expect(/^Uid:\s+(\d+)\s+(\d+)/m.exec(status)?.slice(1)).toEqual([String(NON_ROOT), String(NON_ROOT)]);
      expect(/^Gid:\s+(\d+)/m.exec(status)?.[1]).toBe(String(NON_ROOT));
      for (const set of ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"])
        expect(new RegExp(`^${set}:\\s+0+$`, "m").test(status), set).toBe(true);
      expect(/^NoNewPrivs:\s+1$/m.test(status)).toBe(true);
      expect(/^Seccomp:\s+2$/m.test(status)).toBe(true);
    });

    it("cannot write its root filesystem; /tmp is writable", async () => {
      const root = await container.exec(["sh", "-c", "touch /probe"]);
      expect(root.code).not.toBe(0);
      expect(root.output).toMatch(/read-only file system/i);
      expect((await container.exec(["sh", "-c", "touch /app/probe"])).code).not.toBe(0);
      expect((await container.exec(["sh", "-c", "touch /tmp/probe && rm /tmp/probe"])).code).toBe(0);
      expect((await container.exec(["sh", "-c", "command -v npm"])).code).not.toBe(0);
    });

    it("the API server denies a violating BucketPolicy through it and passes on its warnings", async () => {
      const denied = await create(upjetBucketPolicy({ name: "private-ip-policy", policy: PRIVATE_SOURCE_IP_POLICY }));
      expect(denied.statusCode).toBe(403);
      expect(denied.body).toContain(`admission webhook \\"${webhookName}.s3vg.test\\" denied the request`);
      expect(denied.body).toContain("[source-ip-condition]");
      const warned = await create(upjetEndpoint({ name: "open-endpoint" }));
      expect(warned.statusCode).toBe(201);
      expect(String(warned.headers.warning)).toContain("[endpoint-full-access]");
      expect(await metrics(metricsPort)).toMatch(
        /^s3_vpce_guard_admission_requests_total\{kind="BucketPolicy",operation="CREATE",decision="denied"\} [1-9]/m,
      );
      expect(container.output()).not.toMatch(/EROFS|EACCES|EPERM/);
    });
  },
  () => imageUnavailable() ?? unmetNeed(["control-plane"]),
);
