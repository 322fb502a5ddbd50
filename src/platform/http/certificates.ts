import { generateKeyPairSync, X509Certificate } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { issueCertificate } from "./x509.js";

export interface CertificateBundle {
  /** PEM of the self-signed CA: the webhook configuration's caBundle. */
  caPem: string;
  /** PEM of the serving certificate, signed by the CA. */
  certPem: string;
  /** PKCS#8 PEM of the serving key. */
  keyPem: string;
}

export interface CertificateOptions {
  /** DNS names and IP addresses the serving certificate is valid for. */
  names: string[];
  /** Validity in days (CA and serving certificate). */
  days: number;
  now?: Date;
}

export const DEFAULT_CERT_NAMES = ["localhost", "127.0.0.1"];
export const DEFAULT_CERT_DAYS = 365;
const DAY_MS = 86_400_000;

/**
 * A fresh self-signed CA and a serving certificate for `names`, both ECDSA P-256. The CA key
 * is thrown away: the bundle is replaced, not renewed, when it expires.
 */
export function generateCertificates(options: CertificateOptions): CertificateBundle {
  if (options.names.length === 0) throw new Error("certificate: give at least one DNS name or IP address (--dns)");
  if (!Number.isInteger(options.days) || options.days < 1) {
    throw new Error(`certificate: --days must be a whole number of days ≥ 1, got ${options.days}`);
  }
  const now = options.now ?? new Date();
  // Back-date by an hour: clocks in a cluster are rarely exactly in step.
  const notBefore = new Date(now.getTime() - 3_600_000);
  const notAfter = new Date(now.getTime() + options.days * DAY_MS);
  const ca = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const serving = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const caName = { commonName: "s3-vpce-guard-ca", organization: "s3-vpce-guard" };
  const caPem = issueCertificate({ ...caName, publicKey: ca.publicKey, issuerKey: ca.privateKey, notBefore, notAfter, isCa: true });
  const certPem = issueCertificate({
    commonName: options.names[0] ?? "s3-vpce-guard",
    publicKey: serving.publicKey,
    issuerKey: ca.privateKey,
    issuer: { ...caName, publicKey: ca.publicKey },
    notBefore,
    notAfter,
    isCa: false,
    subjectAltNames: options.names,
  });
  // Self-check with node's own X.509 parser: never hand out a bundle that does not verify.
  if (!new X509Certificate(certPem).verify(new X509Certificate(caPem).publicKey)) {
    throw new Error("certificate: the generated serving certificate does not verify against its CA; please report this");
  }
  const keyPem = serving.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  return { caPem, certPem, keyPem };
}

/** Writes ca.crt, tls.crt and tls.key (0600) into `dir`, as a Kubernetes TLS secret names them. */
export async function writeCertificates(dir: string, bundle: CertificateBundle): Promise<{ ca: string; cert: string; key: string }> {
  await mkdir(dir, { recursive: true });
  const files = { ca: join(dir, "ca.crt"), cert: join(dir, "tls.crt"), key: join(dir, "tls.key") };
  await writeFile(files.ca, bundle.caPem, { mode: 0o644 });
  await writeFile(files.cert, bundle.certPem, { mode: 0o644 });
  await writeFile(files.key, bundle.keyPem, { mode: 0o600 });
  return files;
}
