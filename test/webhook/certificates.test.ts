import { X509Certificate, createPrivateKey, createPublicKey } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateCertificates, writeCertificates } from "../../src/platform/http/certificates.js";

function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"]);
    return true;
  } catch {
    return false;
  }
}

describe("generateCertificates", () => {
  const now = new Date("2026-01-10T12:00:00Z");
  const bundle = generateCertificates({ names: ["webhook.ns.svc", "localhost", "127.0.0.1", "::1"], days: 30, now });
  const ca = new X509Certificate(bundle.caPem);
  const cert = new X509Certificate(bundle.certPem);

  it("issues a CA and a serving certificate that verifies against it", () => {
    expect(ca.ca).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
  });

  it("names every DNS name and IP address in subjectAltName", () => {
    expect(cert.subjectAltName).toBe("DNS:webhook.ns.svc, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1");
    expect(cert.checkHost("webhook.ns.svc")).toBe("webhook.ns.svc");
    expect(cert.checkIP("127.0.0.1")).toBe("127.0.0.1");
  });

  it("is valid for the requested days, back-dated by an hour", () => {
    expect(new Date(cert.validFrom).toISOString()).toBe("2026-01-10T11:00:00.000Z");
    expect(new Date(cert.validTo).toISOString()).toBe("2026-02-09T12:00:00.000Z");
  });

  it("uses GeneralizedTime after 2049", () => {
    const late = generateCertificates({ names: ["x"], days: 10, now: new Date("2051-03-01T00:00:00Z") });
    expect(new Date(new X509Certificate(late.certPem).validTo).toISOString()).toBe("2051-03-11T00:00:00.000Z");
  });

  it("pairs the key with the certificate", () => {
    const fromKey = createPublicKey(createPrivateKey(bundle.keyPem)).export({ type: "spki", format: "der" });
    expect(cert.publicKey.export({ type: "spki", format: "der" }).equals(fromKey)).toBe(true);
  });

  it("rejects bad options with a message naming the flag", () => {
    expect(() => generateCertificates({ names: [], days: 1 })).toThrow(/--dns/);
    expect(() => generateCertificates({ names: ["a"], days: 0 })).toThrow(/--days/);
  });

  it.runIf(hasOpenssl())("is accepted by openssl verify with serverAuth purpose", () => {
    const dir = mkdtempSync(join(tmpdir(), "s3vg-cert-"));
    try {
      writeFileSync(join(dir, "ca.crt"), bundle.caPem);
      writeFileSync(join(dir, "tls.crt"), bundle.certPem);
      const out = execFileSync("openssl", [
        "verify",
        "-purpose",
        "sslserver",
        "-attime",
        String(Math.floor(now.getTime() / 1000)),
        "-CAfile",
        join(dir, "ca.crt"),
        join(dir, "tls.crt"),
      ]).toString();
      expect(out).toContain("OK");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("writeCertificates", () => {
  it("writes ca.crt, tls.crt and a private tls.key", async () => {
    const dir = mkdtempSync(join(tmpdir(), "s3vg-cert-"));
    try {
      const bundle = generateCertificates({ names: ["localhost"], days: 1 });
      const files = await writeCertificates(join(dir, "out"), bundle);
      expect(readFileSync(files.ca, "utf8")).toBe(bundle.caPem);
      expect(readFileSync(files.cert, "utf8")).toBe(bundle.certPem);
      expect(statSync(files.key).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
