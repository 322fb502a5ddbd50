import { mkdir, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { DEFAULT_CERT_DAYS, DEFAULT_CERT_NAMES, generateCertificates, writeCertificates } from "../platform/http/certificates.js";

export interface CertArgs {
  out: string | undefined;
  names: string[];
  days: string | undefined;
}

/** Longer than any certificate a CA/browser would accept, short of Date overflow. */
const MAX_CERT_DAYS = 36_500;

/**
 * Creates `dir` and its missing parents one level at a time. A recursive mkdir can spin
 * forever on a path whose parent exists but refuses new entries (/proc/foo answers ENOENT,
 * which makes it retry the parent); this walks at most once per path component and fails
 * with the component and the reason.
 */
export async function makeDirectory(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let current = resolve(dir); ; current = dirname(current)) {
    const info = await stat(current).catch((error: NodeJS.ErrnoException) =>
      error.code === "ENOENT" || error.code === "ENOTDIR" ? undefined : Promise.reject(error),
    );
    if (info !== undefined) {
      if (!info.isDirectory()) throw new Error(`${current} exists and is not a directory`);
      break;
    }
    missing.unshift(current);
    if (dirname(current) === current) break;
  }
  for (const path of missing) {
    await mkdir(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "EEXIST") return;
      const why =
        error.code === "ENOENT"
          ? `${dirname(path)} does not accept new directories`
          : error.code === "EACCES"
            ? "permission denied"
            : (error.code ?? error.message);
      throw new Error(`cannot create ${path}: ${why}`);
    });
  }
}

/** `s3-vpce-guard cert`: a self-signed CA and a serving certificate in --out. Exit code. */
export async function runCert(args: CertArgs): Promise<number> {
  if (!args.out) {
    process.stderr.write("s3-vpce-guard cert: --out DIR is required (where ca.crt, tls.crt and tls.key are written)\n");
    return 2;
  }
  const days = args.days === undefined ? DEFAULT_CERT_DAYS : Number(args.days);
  if (args.days !== undefined && (!/^\d+$/.test(args.days) || days < 1 || days > MAX_CERT_DAYS)) {
    process.stderr.write(`s3-vpce-guard cert: --days must be a whole number of days from 1 to ${MAX_CERT_DAYS}, not "${args.days}"\n`);
    return 2;
  }
  try {
    await makeDirectory(args.out);
    const bundle = generateCertificates({ names: args.names.length > 0 ? args.names : DEFAULT_CERT_NAMES, days });
    const files = await writeCertificates(args.out, bundle);
    process.stdout.write(`wrote ${files.ca}, ${files.cert} and ${files.key} (valid ${days} days)\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`s3-vpce-guard cert: --out ${args.out}: ${(error as NodeJS.ErrnoException).message}\n`);
    return 2;
  }
}
