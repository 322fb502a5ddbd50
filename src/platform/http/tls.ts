import { watch, type FSWatcher } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { createSecureContext, type SecureContextOptions } from "node:tls";
import type { Logger } from "../telemetry/logging.js";

/**
 * TLS 1.2 ciphers with forward secrecy and AEAD only (Mozilla "intermediate" minus
 * DHE); TLS 1.3 suites are Node's defaults, all modern.
 */
export const TLS12_CIPHERS = [
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
].join(":");

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
}

export function secureOptions(material: TlsMaterial): SecureContextOptions {
  return {
    cert: material.cert,
    key: material.key,
    minVersion: "TLSv1.2",
    ciphers: TLS12_CIPHERS,
    honorCipherOrder: true,
  };
}

/** Reads and checks a certificate/key pair; the error names the file and the fix. */
export async function loadTlsMaterial(certFile: string, keyFile: string): Promise<TlsMaterial> {
  const read = async (file: string, what: string) => {
    try {
      return await readFile(file);
    } catch (error) {
      throw new Error(
        `cannot read the TLS ${what} ${file}: ${(error as Error).message}; check --tls-${what === "certificate" ? "cert" : "key"}`,
        { cause: error },
      );
    }
  };
  const material = { cert: await read(certFile, "certificate"), key: await read(keyFile, "key") };
  try {
    createSecureContext(secureOptions(material));
  } catch (error) {
    throw new Error(`TLS certificate ${certFile} and key ${keyFile} are not a usable pair: ${(error as Error).message}`, { cause: error });
  }
  return material;
}

export interface TlsReloaderOptions {
  certFile: string;
  keyFile: string;
  /** Called with a checked new pair; the server applies it with setSecureContext. */
  onChange: (material: TlsMaterial) => void;
  logger: Logger;
  /**
   * Polling interval (ms). fs.watch misses some rotations (Kubernetes swaps a `..data`
   * symlink; some filesystems send no events), so the files are also re-read on a timer.
   */
  pollMs?: number;
}

/**
 * Reloads the serving certificate when its files change (cert-manager rotation) without a
 * restart. A half-written pair (cert updated, key not yet) is rejected and retried on the
 * next event or poll; the previous pair stays in use meanwhile.
 */
export class TlsReloader {
  private current: TlsMaterial;
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  reloads = 0;

  constructor(
    initial: TlsMaterial,
    private readonly options: TlsReloaderOptions,
  ) {
    this.current = initial;
  }

  start(): void {
    const dirs = new Set([dirname(this.options.certFile), dirname(this.options.keyFile)]);
    for (const dir of dirs) {
      try {
        const watcher = watch(dir, { persistent: false }, () => this.scheduleCheck());
        watcher.on("error", (error) =>
          this.options.logger.warn({ err: error, dir }, "watching the certificate directory failed; polling continues"),
        );
        this.watchers.push(watcher);
      } catch (error) {
        this.options.logger.warn({ err: error, dir }, "cannot watch the certificate directory; relying on polling");
      }
    }
    this.timer = setInterval(() => void this.check(), this.options.pollMs ?? 10_000);
    this.timer.unref();
  }

  stop(): void {
    for (const watcher of this.watchers) watcher.close();
    this.watchers = [];
    clearInterval(this.timer);
    clearTimeout(this.debounce);
  }

  private scheduleCheck(): void {
    clearTimeout(this.debounce);
    // Writers replace cert and key one after the other: wait until both are there.
    this.debounce = setTimeout(() => void this.check(), 100);
    this.debounce.unref();
  }

  /** Re-reads the files; applies them when they changed and form a usable pair. */
  check(): Promise<void> {
    this.checking ??= this.checkOnce().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async checkOnce(): Promise<void> {
    let material: TlsMaterial;
    try {
      material = await loadTlsMaterial(this.options.certFile, this.options.keyFile);
    } catch (error) {
      // Reading the files again can only fail while they are being replaced, or when they
      // were removed: keep serving with the pair we have.
      if (this.changedFrom(await this.peek()))
        this.options.logger.warn({ err: error }, "new certificate files are not usable yet; keeping the current pair");
      return;
    }
    if (!this.changedFrom(material)) return;
    this.current = material;
    this.reloads++;
    this.options.onChange(material);
    this.options.logger.info({ certFile: this.options.certFile, reloads: this.reloads }, "serving certificate reloaded");
  }

  private async peek(): Promise<TlsMaterial | undefined> {
    try {
      return { cert: await readFile(this.options.certFile), key: await readFile(this.options.keyFile) };
    } catch {
      return undefined;
    }
  }

  private changedFrom(material: TlsMaterial | undefined): boolean {
    return material !== undefined && (!material.cert.equals(this.current.cert) || !material.key.equals(this.current.key));
  }
}
