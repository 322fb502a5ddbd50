import { pino, type DestinationStream, type Logger, type LoggerOptions } from "pino";
import { TokenBucket } from "../util/rate-limit.js";

export type { Logger };

export interface LoggerSettings {
  /** pino level: trace, debug, info, warn, error, fatal, silent. */
  level?: string;
  /** Where lines go; default stdout. Tests pass a stream to read the lines back. */
  destination?: DestinationStream;
}

/**
 * The product's structured JSON logger. One line per event, with stable keys; request
 * bodies and policy documents are only ever logged at debug level.
 */
export function createLogger(settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    name: "s3-vpce-guard",
    level: settings.level ?? process.env.LOG_LEVEL ?? "info",
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  // stdout without blocking the event loop: sonic-boom writes asynchronously and coalesces
  // the lines logged while a write is in flight (one syscall per burst under load, not per
  // request); pino flushes it synchronously on exit.
  return pino(options, settings.destination ?? pino.destination({ dest: 1, sync: false }));
}

/** The logger a component logger was made from: a component's logger handed on names the new component, not both. */
const rootOf = new WeakMap<Logger, Logger>();

/**
 * The logger of one component: every line carries `component` ("watch", "lease", …) and the
 * message says what happened, without a prefix. Made from another component's logger, it
 * replaces that component (pino would print the key twice).
 */
export function componentLogger(logger: Logger, component: string): Logger {
  const root = rootOf.get(logger) ?? logger;
  const child = root.child({ component });
  rootOf.set(child, root);
  return child;
}

/**
 * Lets a burst of `perSecond` log lines through, then `perSecond` a second; the rest are counted, and the next line
 * that passes carries `suppressedSinceLast`. For lines that anyone reaching a port can cause
 * (malformed requests): a flood must not flood the log pipeline too, and the metrics still
 * count every request.
 */
export function logRateLimiter(
  perSecond: number,
  now: () => number = Date.now,
): (write: (extra: { suppressedSinceLast?: number }) => void) => void {
  const bucket = new TokenBucket({ capacity: perSecond, refillPerSecond: perSecond, clock: now });
  let suppressed = 0;
  return (write) => {
    if (!bucket.tryTake()) {
      suppressed++;
      return;
    }
    const extra = suppressed > 0 ? { suppressedSinceLast: suppressed } : {};
    suppressed = 0;
    write(extra);
  };
}
