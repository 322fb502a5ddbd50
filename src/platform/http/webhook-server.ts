import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import express, { type NextFunction, type Request, type Response } from "express";
import type { Config } from "../../core/config.js";
import type { Inventory } from "../../core/inventory/inventory.js";
import { logRateLimiter, type Logger } from "../telemetry/logging.js";
import type { Metrics } from "../telemetry/metrics.js";
import { WATCHED_KINDS } from "../../core/model/kinds.js";
import { textNestingBeyond } from "../../core/iam/parse.js";
import { decide, parseAdmissionReview, type AdmissionRequest } from "../../app/admission.js";
import { loadTlsMaterial, secureOptions, TlsReloader } from "./tls.js";

export const DEFAULT_BODY_LIMIT_BYTES = 3 * 1024 * 1024;
export const DEFAULT_TIME_BUDGET_MS = 2_500;
/** A TLS handshake must finish within this (Node's default, 120 s, let idle sockets pile up). */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 5_000;
/**
 * Open connections at most: API servers keep a few each, probes one at a time. Beyond this
 * new connections are dropped, so a flood of idle sockets cannot exhaust the memory limit.
 */
export const DEFAULT_MAX_CONNECTIONS = 256;
/**
 * JSON nesting of a request body, at most. Objects nest a few dozen levels; V8 needs half a
 * second for a million nested brackets, so deeper bodies are refused before parsing.
 */
export const MAX_BODY_DEPTH = 1000;

class BodyTooDeep extends Error {
  readonly type = "body.too.deep";
}

/** body-parser's verify hook: runs on the raw bytes before JSON.parse (UTF-8 keeps ASCII bytes as they are). */
function refuseDeepBodies(_req: unknown, _res: unknown, buffer: Buffer): void {
  const offset = textNestingBeyond(buffer.toString("latin1"), MAX_BODY_DEPTH);
  if (offset !== undefined) throw new BodyTooDeep(`request body nests more than ${MAX_BODY_DEPTH} levels deep (at byte ${offset}); Kubernetes objects nest far less`);
}

export interface WebhookDependencies {
  config: Config;
  inventory: Inventory;
  metrics: Metrics;
  logger: Logger;
  /** True once the inventory has had its first full sync (always false with --no-kube). */
  inventoryComplete: () => boolean;
  /** Readiness beyond "TLS loaded and not shutting down": e.g. the first sync. */
  ready: () => { ready: boolean; reason?: string };
  /** Request bodies above this are refused with 413 (default 3 MiB, the API server's limit). */
  bodyLimitBytes?: number;
  /**
   * The answer must leave before the API server gives up (timeoutSeconds, 10 s by default).
   * The engine is synchronous, so only receiving the body can take long: a request that is
   * still unanswered after the budget gets a 503 instead of hanging.
   */
  timeBudgetMs?: number;
  /** Test clock. */
  now?: () => Date;
}

interface JsonError {
  status: number;
  message: string;
}

function bodyError(error: unknown, limit: number): JsonError {
  if (error instanceof BodyTooDeep) return { status: 400, message: error.message };
  const type = (error as { type?: unknown }).type;
  if (type === "entity.too.large") {
    return { status: 413, message: `request body is larger than the limit of ${limit} bytes; raise --body-limit if the API server really sends such objects` };
  }
  if (type === "entity.parse.failed") {
    // V8's message quotes the start of the body (which may hold secrets): keep only the position.
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    return { status: 400, message: `request body is not valid JSON${position ? ` (first error at byte ${position})` : ""}; send an AdmissionReview v1 as JSON` };
  }
  if (type === "encoding.unsupported" || type === "charset.unsupported") return { status: 415, message: "unsupported request encoding or charset; send UTF-8 JSON without Content-Encoding" };
  if (type === "request.aborted") return { status: 400, message: "the client aborted the request before the body was complete" };
  return { status: 500, message: `internal error: ${String((error as Error)?.message ?? error).slice(0, 200)}` };
}

const sendJson = (res: Response, status: number, body: unknown): void => {
  if (res.headersSent) return;
  res.status(status).json(body);
};

const KIND_LABELS: ReadonlySet<string> = new Set(WATCHED_KINDS.map((k) => k.kind));

/**
 * The kind metric label comes from the request, which anyone reaching the port can write: a
 * kind we do not watch becomes "other", so the number of series (and the memory and scrape
 * size they cost) stays bounded whatever is sent. The operation needs no such guard:
 * parseAdmissionReview refuses any but the four API server operations.
 */
function kindLabel(request: AdmissionRequest): string {
  return KIND_LABELS.has(request.kind.kind) ? request.kind.kind : "other";
}

/** The express app: POST /validate, GET /healthz, GET /readyz. No TLS here (see startWebhookServer). */
export function createWebhookApp(deps: WebhookDependencies, state: { shuttingDown: boolean } = { shuttingDown: false }): express.Express {
  const { metrics, logger } = deps;
  const limit = deps.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const budget = deps.timeBudgetMs ?? DEFAULT_TIME_BUDGET_MS;
  // Malformed, oversized and stalled requests: at most 10 log lines a second (metrics count all).
  const logBadRequest = logRateLimiter(10);
  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");
  app.set("query parser", false);

  const recordError = (kind: string, operation: string, seconds: number) => {
    metrics.admissionRequests.inc({ kind, operation, decision: "error" });
    metrics.admissionDuration.observe({ kind, operation }, seconds);
  };

  app.get("/healthz", (_req, res) => {
    res.type("text/plain").send("ok\n");
  });

  app.get("/readyz", (_req, res) => {
    if (state.shuttingDown) return sendJson(res, 503, { ready: false, reason: "shutting down" });
    const readiness = deps.ready();
    sendJson(res, readiness.ready ? 200 : 503, readiness.ready ? { ready: true } : { ready: false, reason: readiness.reason ?? "not ready" });
  });

  app.post(
    "/validate",
    (req: Request, res: Response, next: NextFunction) => {
      res.locals.started = process.hrtime.bigint();
      const timer = setTimeout(() => {
        if (res.headersSent) return;
        const seconds = Number(process.hrtime.bigint() - (res.locals.started as bigint)) / 1e9;
        recordError("unknown", "unknown", seconds);
        logBadRequest((extra) => logger.warn({ budgetMs: budget, remote: req.socket.remoteAddress, ...extra }, "admission: request not answered within the time budget (slow or stalled body)"));
        sendJson(res, 503, { message: `the request was not complete within the ${budget} ms time budget` });
        req.socket.destroySoon();
      }, budget);
      const clear = () => clearTimeout(timer);
      res.once("finish", clear);
      res.once("close", clear);
      next();
    },
    // A declared length over the limit is refused at once, before any of the body is read or
    // waited for (body-parser would drain the body first); the connection is then closed.
    (req: Request, res: Response, next: NextFunction) => {
      const declared = Number(req.headers["content-length"]);
      if (!(declared > limit)) return next();
      const seconds = Number(process.hrtime.bigint() - (res.locals.started as bigint)) / 1e9;
      recordError("unknown", "unknown", seconds);
      logBadRequest((extra) => logger.warn({ status: 413, declaredBytes: declared, limitBytes: limit, ...extra }, "admission: request rejected (declared body too large)"));
      res.set("Connection", "close");
      sendJson(res, 413, { message: `request body of ${declared} bytes is larger than the limit of ${limit} bytes; raise --body-limit if the API server really sends such objects` });
      res.once("finish", () => req.socket.destroySoon());
    },
    // Any content type: some clients omit it, and the body is JSON by contract.
    express.json({ limit, type: () => true, strict: false, verify: refuseDeepBodies }),
    (req: Request, res: Response) => handleValidate(req, res),
  );

  const handleValidate = (req: Request, res: Response) => {
    const started = res.locals.started as bigint;
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
    const parsed = parseAdmissionReview(req.body);
    if (!parsed.ok) {
      recordError("unknown", "unknown", elapsed());
      logBadRequest((extra) => logger.warn({ reason: parsed.message, ...extra }, "admission: malformed AdmissionReview"));
      return sendJson(res, 400, { message: parsed.message });
    }
    const request: AdmissionRequest = parsed.request;
    const kind = kindLabel(request);
    const operation = request.operation;
    let result;
    try {
      result = decide(request, {
        config: deps.config,
        inventory: deps.inventory,
        inventoryComplete: deps.inventoryComplete(),
        ...(deps.now ? { now: deps.now() } : {}),
      });
    } catch (error) {
      // The engine and adapters never throw on bad input; reaching this is a bug. Answer
      // 500 and let the webhook's failurePolicy decide, rather than guess allowed/denied.
      recordError(kind, operation, elapsed());
      logger.error({ err: error, uid: request.uid, kind: request.kind.kind, operation: request.operation, namespace: request.namespace, name: request.name }, "admission: internal error while reviewing");
      return sendJson(res, 500, { message: `s3-vpce-guard internal error while reviewing ${request.kind.kind} ${request.name ?? ""}: ${(error as Error)?.message ?? String(error)}` });
    }
    const seconds = elapsed();
    metrics.admissionRequests.inc({ kind, operation, decision: result.decision });
    metrics.admissionDuration.observe({ kind, operation }, seconds);
    for (const finding of result.findings) metrics.admissionFindings.inc({ rule: finding.rule, action: finding.action });
    for (const rule of result.undecided ?? []) metrics.undecided.inc({ rule });
    // Never the object or its policies at info level: ids, decision and rule ids only. A clean
    // "allowed" is the common case and logged at debug: at thousands of reviews a second the
    // log line would cost more than the review (as Gatekeeper logs only denies by default).
    if (result.limitExceeded) {
      metrics.reviewLimitExceeded.inc({ decision: result.decision === "denied" ? "denied" : "allowed" });
      logger.warn({ uid: request.uid, kind: request.kind.kind, namespace: request.namespace ?? null, name: request.name ?? null, workSteps: result.workSteps, limit: deps.config.limits.workSteps, onExceeded: deps.config.limits.onExceeded }, "admission: object not checked, it needs more work than limits.workSteps");
    }
    const log = result.findings.length > 0 || result.decision !== "allowed" ? logger.info.bind(logger) : logger.debug.bind(logger);
    log(
      {
        uid: request.uid,
        kind: request.kind.kind,
        apiVersion: request.kind.group ? `${request.kind.group}/${request.kind.version}` : request.kind.version,
        namespace: request.namespace ?? null,
        name: request.name ?? result.subject?.ref.name ?? null,
        operation: request.operation,
        dryRun: request.dryRun === true,
        decision: result.decision,
        rules: result.findings.length > 0 ? result.findings.map((f) => `${f.rule}:${f.action}`) : undefined,
        durationMs: Math.round(seconds * 1e6) / 1e3,
      },
      "admission decision",
    );
    if (seconds * 1000 > budget) logger.warn({ uid: request.uid, durationMs: seconds * 1000, budgetMs: budget }, "admission: review took longer than the time budget");
    sendJson(res, 200, result.review);
  };

  app.use((req: Request, res: Response) => {
    sendJson(res, 404, { message: `no route for ${req.method} ${req.path}; the webhook serves POST /validate, GET /healthz and GET /readyz` });
  });

  // Express error handler (four arguments): body-parser errors and anything unexpected.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { status, message } = bodyError(error, limit);
    const started = res.locals.started as bigint | undefined;
    if (req.path === "/validate") recordError("unknown", "unknown", started ? Number(process.hrtime.bigint() - started) / 1e9 : 0);
    if (status >= 500) logger.error({ err: error, status, reason: message }, "admission: request rejected");
    else logBadRequest((extra) => logger.warn({ status, reason: message, ...extra }, "admission: request rejected"));
    sendJson(res, status, { message });
  });
  return app;
}

export interface WebhookServerOptions extends WebhookDependencies {
  certFile: string;
  keyFile: string;
  port: number;
  host?: string;
  /** Certificate polling interval (ms); file events trigger a reload sooner. */
  tlsPollMs?: number;
  /** Default DEFAULT_HANDSHAKE_TIMEOUT_MS. */
  handshakeTimeoutMs?: number;
  /** Default DEFAULT_MAX_CONNECTIONS. */
  maxConnections?: number;
}

export interface WebhookServer {
  readonly server: Server;
  readonly port: number;
  readonly tls: TlsReloader;
  /** Stops accepting, lets in-flight requests finish, then closes (forcefully after timeoutMs). */
  close(timeoutMs?: number): Promise<void>;
}

/** HTTPS (TLS ≥ 1.2) around the app, with certificate reload. Resolves once listening. */
export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const material = await loadTlsMaterial(options.certFile, options.keyFile);
  const state = { shuttingDown: false };
  const app = createWebhookApp(options, state);
  const server = createServer({ ...secureOptions(material), handshakeTimeout: options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS }, app);
  // Slow-client limits: nothing may hold a socket much longer than the API server waits.
  server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  server.keepAliveTimeout = 65_000;
  server.on("tlsClientError", (error) => options.logger.debug({ err: error }, "tls: handshake failed"));
  const tls = new TlsReloader(material, {
    certFile: options.certFile,
    keyFile: options.keyFile,
    logger: options.logger,
    pollMs: options.tlsPollMs,
    onChange: (next) => server.setSecureContext(secureOptions(next)),
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "0.0.0.0", () => {
      server.off("error", reject);
      resolve();
    });
  });
  tls.start();
  let closing: Promise<void> | undefined;
  return {
    server,
    port: (server.address() as AddressInfo).port,
    tls,
    close(timeoutMs = 10_000) {
      closing ??= new Promise<void>((resolve) => {
        state.shuttingDown = true;
        tls.stop();
        const force = setTimeout(() => server.closeAllConnections(), timeoutMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        // Keep-alive connections with no request in flight would hold close() open.
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
