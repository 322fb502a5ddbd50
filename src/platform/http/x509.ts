/**
 * Just enough X.509 (RFC 5280) DER to issue a self-signed CA and a serving certificate
 * with ECDSA P-256 keys from node:crypto. Written out here because no runtime dependency
 * is needed for it: node:crypto signs, and node:crypto's X509Certificate reads the result.
 */
import { createHash, randomBytes, sign, type KeyObject } from "node:crypto";
import { isIPv4, isIPv6 } from "node:net";

type Der = Buffer;

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, content: Buffer): Der {
  return Buffer.concat([Buffer.from([tag]), length(content.length), content]);
}

const sequence = (...items: Der[]): Der => tlv(0x30, Buffer.concat(items));
const set = (...items: Der[]): Der => tlv(0x31, Buffer.concat(items));
const octetString = (content: Buffer): Der => tlv(0x04, content);
const utf8String = (text: string): Der => tlv(0x0c, Buffer.from(text, "utf8"));
const booleanTrue = (): Der => tlv(0x01, Buffer.from([0xff]));
/** [n] EXPLICIT: a constructed context tag around a whole element. */
const explicit = (n: number, inner: Der): Der => tlv(0xa0 | n, inner);

function integer(bytes: Buffer): Der {
  // Positive INTEGER: strip leading zeros, keep one 0x00 when the top bit is set.
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  const positive = (trimmed[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed;
  return tlv(0x02, positive);
}

function bitString(content: Buffer, unusedBits = 0): Der {
  return tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), content]));
}

function oid(dotted: string): Der {
  const parts = dotted.split(".").map(Number);
  const [first = 0, second = 0, ...rest] = parts;
  const bytes: number[] = [first * 40 + second];
  for (const part of rest) {
    const chunk: number[] = [part & 0x7f];
    for (let v = Math.floor(part / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function time(date: Date): Der {
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  const body = `${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}Z`;
  const year = date.getUTCFullYear();
  // RFC 5280 §4.1.2.5: UTCTime up to 2049, GeneralizedTime from 2050.
  return year < 2050 ? tlv(0x17, Buffer.from(`${pad(year % 100)}${body}`)) : tlv(0x18, Buffer.from(`${pad(year, 4)}${body}`));
}

const OID = {
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  authorityKeyIdentifier: "2.5.29.35",
  extKeyUsage: "2.5.29.37",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
} as const;

function name(commonName: string, organization?: string): Der {
  const rdns = [set(sequence(oid(OID.commonName), utf8String(commonName)))];
  if (organization) rdns.unshift(set(sequence(oid(OID.organization), utf8String(organization))));
  return sequence(...rdns);
}

function extension(id: string, critical: boolean, value: Der): Der {
  return critical ? sequence(oid(id), booleanTrue(), octetString(value)) : sequence(oid(id), octetString(value));
}

/** KeyUsage bits (RFC 5280 §4.2.1.3) as a minimal DER BIT STRING. */
function keyUsage(bits: number[]): Der {
  const value = bits.reduce((v, bit) => v | (1 << (15 - bit)), 0);
  const bytes = value & 0xff ? Buffer.from([value >> 8, value & 0xff]) : Buffer.from([value >> 8]);
  const last = bytes[bytes.length - 1] ?? 0;
  let unused = 0;
  while (unused < 7 && !(last & (1 << unused))) unused++;
  return bitString(bytes, unused);
}

const KEY_USAGE = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

function generalName(entry: string): Der {
  if (isIPv4(entry)) return tlv(0x87, Buffer.from(entry.split(".").map(Number)));
  if (isIPv6(entry)) return tlv(0x87, ipv6Bytes(entry));
  return tlv(0x82, Buffer.from(entry, "ascii"));
}

function ipv6Bytes(address: string): Buffer {
  const [head = "", tail = ""] = address.split("::");
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const h = groups(head);
  const t = address.includes("::") ? groups(tail) : [];
  const all = [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

export interface CertificateRequest {
  commonName: string;
  organization?: string;
  /** The subject's public key. */
  publicKey: KeyObject;
  /** The issuer's private key (the subject's own for a self-signed CA). */
  issuerKey: KeyObject;
  /** Issuer name and key id; omitted = self-signed. */
  issuer?: { commonName: string; organization?: string; publicKey: KeyObject };
  notBefore: Date;
  notAfter: Date;
  isCa: boolean;
  /** DNS names and IP addresses for subjectAltName (serving certificates). */
  subjectAltNames?: string[];
}

function keyIdentifier(publicKey: KeyObject): Buffer {
  // RFC 5280 §4.2.1.2 method 1 uses the subjectPublicKey bits; a hash of the whole SPKI is
  // equally unique and is what many tools do.
  return createHash("sha1")
    .update(publicKey.export({ type: "spki", format: "der" }))
    .digest();
}

/** Issues a DER-encoded X.509 v3 certificate signed with ECDSA-SHA256; returns PEM. */
export function issueCertificate(request: CertificateRequest): string {
  const signatureAlgorithm = sequence(oid(OID.ecdsaWithSha256));
  const issuer = request.issuer ?? { commonName: request.commonName, organization: request.organization, publicKey: request.publicKey };
  const extensions: Der[] = [
    extension(OID.basicConstraints, true, request.isCa ? sequence(booleanTrue()) : sequence()),
    extension(
      OID.keyUsage,
      true,
      keyUsage(
        request.isCa
          ? [KEY_USAGE.digitalSignature, KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign]
          : [KEY_USAGE.digitalSignature, KEY_USAGE.keyEncipherment],
      ),
    ),
    extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(request.publicKey))),
  ];
  if (!request.isCa) {
    extensions.push(extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth))));
    extensions.push(extension(OID.authorityKeyIdentifier, false, sequence(tlv(0x80, keyIdentifier(issuer.publicKey)))));
  }
  if (request.subjectAltNames && request.subjectAltNames.length > 0) {
    extensions.push(extension(OID.subjectAltName, false, sequence(...request.subjectAltNames.map(generalName))));
  }
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f; // positive, at most 20 octets (RFC 5280 §4.1.2.2)
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(serial),
    signatureAlgorithm,
    name(issuer.commonName, issuer.organization),
    sequence(time(request.notBefore), time(request.notAfter)),
    name(request.commonName, request.organization),
    request.publicKey.export({ type: "spki", format: "der" }),
    explicit(3, sequence(...extensions)),
  );
  const signature = sign("sha256", tbs, request.issuerKey); // ECDSA: DER Ecdsa-Sig-Value
  const der = sequence(tbs, signatureAlgorithm, bitString(signature));
  const base64 = der
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .trimEnd();
  return `-----BEGIN CERTIFICATE-----\n${base64}\n-----END CERTIFICATE-----\n`;
}
