import { DEFAULT_CERT_DAYS, DEFAULT_CERT_NAMES, generateCertificates, writeCertificates } from "../webhook/certificates.js";

export interface CertArgs {
  out: string | undefined;
  names: string[];
  days: string | undefined;
}

/** `s3-vpce-guard cert`: a self-signed CA and a serving certificate in --out. Exit code. */
export async function runCert(args: CertArgs): Promise<number> {
  if (!args.out) {
    process.stderr.write("s3-vpce-guard cert: --out DIR is required (where ca.crt, tls.crt and tls.key are written)\n");
    return 2;
  }
  const days = args.days === undefined ? DEFAULT_CERT_DAYS : Number(args.days);
  try {
    const bundle = generateCertificates({ names: args.names.length > 0 ? args.names : DEFAULT_CERT_NAMES, days });
    const files = await writeCertificates(args.out, bundle);
    process.stdout.write(`wrote ${files.ca}, ${files.cert} and ${files.key} (valid ${days} days)\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`s3-vpce-guard cert: ${(error as Error).message}\n`);
    return 2;
  }
}
