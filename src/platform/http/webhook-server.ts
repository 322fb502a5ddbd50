/**
 * The admission webhook's HTTPS server: POST /validate, GET /healthz, GET /readyz.
 *
 * One request handler on Node's https server, which routes its three paths itself. Not under
 * express: an express 5 app around it (one app.use, no body parser, router, ETag or
 * X-Powered-By) did nothing for these three routes and cost 11–23 µs of server CPU per request,
 * 4–10 % of a review on the bench's mix and 8–18 % of the cheapest one (bench/webhook-load.mjs
 * --layers; README, "Benchmarks"). The deciding is passed in (AdmissionHandler, wired by
 * src/cli/serve.ts), so this file knows HTTP only.
 */
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import { componentLogger, logRateLimiter, type Logger } from "../telemetry/logging.js";
import type { Metrics } from "../telemetry/metrics.js";
import { answerProbe, closeServer, listen, pathOf, sendJson, type Readiness } from "./listen.js";
import { loadTlsMaterial, secureOptions, TlsReloader } from "./tls.js";
import { turnBatcher } from "../util/turn-batch.js";

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

/** The request as far as the server needs it: ids for logs, labels for metrics. */
export interface AdmittedRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  operation: string;
  namespace?: string;
  name?: string;
  dryRun?: boolean;
}

/** A decision as far as the server needs it: the AdmissionReview to send, and what to count and log. */
export interface AdmittedResult {
  review: unknown;
  decision: "allowed" | "denied" | "warned";
  findings: readonly { rule: string; action: string }[];
  undecided?: readonly string[];
  subject?: { ref: { name: string } };
  limitExceeded?: boolean;
  workSteps?: number;
}

/** The admission use case (src/app/admission.ts), passed in by the composition root. */
export interface AdmissionHandler<Request extends AdmittedRequest = AdmittedRequest> {
  /** Checks the AdmissionReview envelope; the message names the field at fault. */
  parse(body: unknown): { ok: true; request: Request } | { ok: false; message: string };
  /** Decides one request (synchronous, never waits). */
  decide(request: Request): AdmittedResult;
  /** Offset where JSON text first nests deeper than `limit`, else undefined (checked before JSON.parse). */
  nestingBeyond(text: string, limit: number): number | undefined;
  /** Kinds that get their own metric label; any other kind counts as "other". */
  watchedKinds: ReadonlySet<string>;
  /** For the log line when a review exceeds its work budget. */
  limits: { workSteps: number; onExceeded: string };
}

export interface WebhookDependencies<Request extends AdmittedRequest = AdmittedRequest> {
  admission: AdmissionHandler<Request>;
  metrics: Metrics;
  logger: Logger;
  /** Readiness beyond "TLS loaded and not shutting down": e.g. the first sync. */
  ready: () => Readiness;
  /** Request bodies above this are refused with 413 (default 3 MiB, the API server's limit). */
  bodyLimitBytes?: number;
  /**
   * The answer must leave before the API server gives up (timeoutSeconds, 10 s by default).
   * The engine is synchronous, so only receiving the body can take long: a request that is
   * still unanswered after the budget gets a 503 instead of hanging.
   */
  timeBudgetMs?: number;
  /** Milliseconds clock of the log rate limiter (tests). */
  now?: () => number;
}

const seconds = (started: bigint): number => Number(process.hrtime.bigint() - started) / 1e9;

/** V8's message quotes the start of the body (which may hold secrets): keep only the position. */
function invalidJsonMessage(error: unknown): string {
  const position = /position (\d+)/.exec((error as Error).message)?.[1];
  return `request body is not valid JSON${position ? ` (first error at byte ${position})` : ""}; send an AdmissionReview v1 as JSON`;
}

/** Only UTF-8 JSON, not compressed (the API server sends nothing else). */
function unsupportedEncoding(req: IncomingMessage): boolean {
  const encoding = req.headers["content-encoding"];
  if (encoding !== undefined && encoding.toLowerCase() !== "identity") return true;
  const type = req.headers["content-type"];
  if (type === undefined || !type.includes("charset")) return false;
  const charset = /charset\s*=\s*"?([^";\s]+)/i.exec(type)?.[1]?.toLowerCase();
  return charset !== undefined && charset !== "utf-8" && charset !== "utf8";
}

/** The label child kept under `key`, made on first use (prom-client finds one by its labels on every call). */
function childOf<Child>(children: Map<string, Child>, key: string, make: () => Child): Child {
  let child = children.get(key);
  if (child === undefined) children.set(key, (child = make()));
  return child;
}

/**
 * The log line's view of a review's findings: each rule and action once, in the order first
 * found, and how many findings there were. A policy with many violating statements gives one
 * finding per statement; listing each would make the line grow with the policy.
 */
function findingsSummary(findings: AdmittedResult["findings"]): { rules?: string[]; findings?: number } {
  if (findings.length === 0) return {};
  const rules = new Set<string>();
  for (const f of findings) rules.add(`${f.rule}:${f.action}`);
  return { rules: [...rules], findings: findings.length };
}

/**
 * The request handler (no TLS here, see startWebhookServer). Per request: one timer for the
 * time budget, the body read as Buffers up to the limit, one UTF-8 decode, one nesting scan,
 * one JSON.parse, one JSON.stringify; metrics through label children cached per kind and
 * operation; a log line only for denials, warnings and errors. Reviews whose bodies complete
 * in the same turn of the event loop are decided back to back after that turn's I/O.
 */
export function createWebhookHandler<Request extends AdmittedRequest>(
  deps: WebhookDependencies<Request>,
  state: { shuttingDown: boolean } = { shuttingDown: false },
): (req: IncomingMessage, res: ServerResponse) => void {
  const { metrics, admission } = deps;
  const logger = componentLogger(deps.logger, "admission");
  const limit = deps.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const budget = deps.timeBudgetMs ?? DEFAULT_TIME_BUDGET_MS;
  // Malformed, oversized and stalled requests: at most 10 log lines a second (metrics count all).
  const logBadRequest = logRateLimiter(10, deps.now);
  const ready = (): Readiness => (state.shuttingDown ? { ready: false, reason: "shutting down" } : deps.ready());

  /**
   * The kind metric label comes from the request, which anyone reaching the port can write: a
   * kind we do not watch becomes "other", so the number of series (and the memory and scrape
   * size they cost) stays bounded whatever is sent. The operation needs no such guard: the
   * handler's parse refuses any but the four API server operations. Label children are cached
   * per (kind, operation): at most (watched kinds + 2) × 5 entries.
   */
  const series = new Map<
    string,
    {
      duration: ReturnType<Metrics["admissionDuration"]["labels"]>;
      byDecision: Map<string, ReturnType<Metrics["admissionRequests"]["labels"]>>;
    }
  >();
  const seriesOf = (kind: string, operation: string) =>
    childOf(series, `${kind}\u0000${operation}`, () => ({
      duration: metrics.admissionDuration.labels({ kind, operation }),
      byDecision: new Map<string, ReturnType<Metrics["admissionRequests"]["labels"]>>(),
    }));
  const record = (kind: string, operation: string, decision: string, elapsed: number) => {
    const entry = seriesOf(kind, operation);
    childOf(entry.byDecision, decision, () => metrics.admissionRequests.labels({ kind, operation, decision })).inc();
    entry.duration.observe(elapsed);
  };
  const recordError = (started: bigint) => record("unknown", "unknown", "error", seconds(started));
  /**
   * Findings are counted through label children cached per (rule, action), as the series
   * above: prom-client builds and looks up a key from the label object on every inc() with
   * labels, and a review can carry dozens of findings. Rules and actions come from the engine,
   * not the request: at most rules × 4 entries.
   */
  const findingCounters = new Map<string, ReturnType<Metrics["admissionFindings"]["labels"]>>();
  const countFinding = (rule: string, action: string, count: number) =>
    childOf(findingCounters, `${rule}\u0000${action}`, () => metrics.admissionFindings.labels({ rule, action })).inc(count);
  /**
   * One inc() per run of findings with the same rule and action (a rule's findings come
   * together): an inc() costs about 250 ns, and a denied policy may carry a finding per statement.
   */
  const countFindings = (findings: AdmittedResult["findings"]) => {
    let start = 0;
    while (start < findings.length) {
      const { rule, action } = findings[start]!;
      let end = start + 1;
      while (end < findings.length && findings[end]!.rule === rule && findings[end]!.action === action) end += 1;
      countFinding(rule, action, end - start);
      start = end;
    }
  };

  const reject = (res: ServerResponse, started: bigint, status: number, message: string, headers: Record<string, string> = {}) => {
    recordError(started);
    logBadRequest((extra) => logger.warn({ status, reason: message, ...extra }, "request rejected"));
    sendJson(res, status, { message }, headers);
  };

  const answer = (res: ServerResponse, started: bigint, text: string) => {
    let body: unknown;
    const tooDeep = admission.nestingBeyond(text, MAX_BODY_DEPTH);
    if (tooDeep !== undefined) {
      return reject(
        res,
        started,
        400,
        `request body nests more than ${MAX_BODY_DEPTH} levels deep (at byte ${tooDeep}); Kubernetes objects nest far less`,
      );
    }
    try {
      body = JSON.parse(text);
    } catch (error) {
      return reject(res, started, 400, invalidJsonMessage(error));
    }
    const parsed = admission.parse(body);
    if (!parsed.ok) {
      recordError(started);
      logBadRequest((extra) => logger.warn({ reason: parsed.message, ...extra }, "malformed AdmissionReview"));
      return sendJson(res, 400, { message: parsed.message });
    }
    const request = parsed.request;
    const kind = admission.watchedKinds.has(request.kind.kind) ? request.kind.kind : "other";
    let result: AdmittedResult;
    try {
      result = admission.decide(request);
    } catch (error) {
      // The engine and adapters never throw on bad input; reaching this is a bug. Answer
      // 500 and let the webhook's failurePolicy decide, rather than guess allowed/denied.
      record(kind, request.operation, "error", seconds(started));
      logger.error(
        {
          err: error,
          uid: request.uid,
          kind: request.kind.kind,
          operation: request.operation,
          namespace: request.namespace,
          name: request.name,
        },
        "internal error while reviewing",
      );
      return sendJson(res, 500, {
        message: `s3-vpce-guard internal error while reviewing ${request.kind.kind} ${request.name ?? ""}: ${(error as Error)?.message ?? String(error)}`,
      });
    }
    const elapsed = seconds(started);
    record(kind, request.operation, result.decision, elapsed);
    countFindings(result.findings);
    if (result.undecided) for (const rule of result.undecided) metrics.undecided.inc({ rule });
    if (result.limitExceeded) {
      metrics.reviewLimitExceeded.inc({ decision: result.decision === "denied" ? "denied" : "allowed" });
      logger.warn(
        {
          uid: request.uid,
          kind: request.kind.kind,
          namespace: request.namespace ?? null,
          name: request.name ?? null,
          workSteps: result.workSteps,
          limit: admission.limits.workSteps,
          onExceeded: admission.limits.onExceeded,
        },
        "object not checked, it needs more work than limits.workSteps",
      );
    }
    // Never the object or its policies at info level: ids, decision and rule ids only. A clean
    // "allowed" is the common case and logged at debug: at thousands of reviews a second the
    // log line would cost more than the review (as Gatekeeper logs only denies by default).
    const level = result.findings.length > 0 || result.decision !== "allowed" ? "info" : "debug";
    if (logger.isLevelEnabled(level)) {
      logger[level](
        {
          uid: request.uid,
          kind: request.kind.kind,
          apiVersion: request.kind.group ? `${request.kind.group}/${request.kind.version}` : request.kind.version,
          namespace: request.namespace ?? null,
          name: request.name ?? result.subject?.ref.name ?? null,
          operation: request.operation,
          dryRun: request.dryRun === true,
          decision: result.decision,
          ...findingsSummary(result.findings),
          durationMs: Math.round(elapsed * 1e6) / 1e3,
        },
        "admission decision",
      );
    }
    if (elapsed * 1000 > budget)
      logger.warn({ uid: request.uid, durationMs: elapsed * 1000, budgetMs: budget }, "review took longer than the time budget");
    sendJson(res, 200, result.review);
  };

  // Bodies completed in one turn of the event loop are answered back to back (turn-batch.ts).
  const answerInTurn = turnBatcher<{ res: ServerResponse; started: bigint; text: string }>(
    ({ res, started, text }) => answer(res, started, text),
    (error, { res, started }) => {
      recordError(started);
      logger.error({ err: error }, "internal error while answering a review");
      if (!res.headersSent)
        sendJson(res, 500, { message: `s3-vpce-guard internal error while answering: ${(error as Error)?.message ?? String(error)}` });
    },
  );

  const validate = (req: IncomingMessage, res: ServerResponse) => {
    const started = process.hrtime.bigint();
    // A declared length over the limit is refused at once, before any of the body is read or
    // waited for; the connection is then closed.
    const declared = Number(req.headers["content-length"]);
    if (declared > limit) {
      recordError(started);
      logBadRequest((extra) =>
        logger.warn({ status: 413, declaredBytes: declared, limitBytes: limit, ...extra }, "request rejected (declared body too large)"),
      );
      sendJson(
        res,
        413,
        {
          message: `request body of ${declared} bytes is larger than the limit of ${limit} bytes; raise --body-limit if the API server really sends such objects`,
        },
        { connection: "close" },
      );
      res.once("finish", () => req.socket.destroySoon());
      return;
    }
    if (unsupportedEncoding(req)) {
      reject(res, started, 415, "unsupported request encoding or charset; send UTF-8 JSON without Content-Encoding");
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      recordError(started);
      logBadRequest((extra) =>
        logger.warn(
          { budgetMs: budget, remote: req.socket.remoteAddress, ...extra },
          "request not answered within the time budget (slow or stalled body)",
        ),
      );
      sendJson(res, 503, { message: `the request was not complete within the ${budget} ms time budget` });
      req.socket.destroySoon();
    }, budget);
    const finish = () => {
      done = true;
      clearTimeout(timer);
      req.removeListener("data", onData);
    };
    const onData = (chunk: Buffer) => {
      if (done) return;
      received += chunk.length;
      if (received > limit) {
        finish();
        reject(
          res,
          started,
          413,
          `request body is larger than the limit of ${limit} bytes; raise --body-limit if the API server really sends such objects`,
          { connection: "close" },
        );
        res.once("finish", () => req.socket.destroySoon());
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => {
      if (done) return;
      finish();
      const text = chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks, received).toString("utf8");
      answerInTurn({ res, started, text });
    });
    // The client went away before the body was complete: nothing to answer, but counted.
    const aborted = () => {
      if (done) return;
      finish();
      recordError(started);
    };
    req.on("error", aborted);
    req.once("close", aborted);
  };

  return (req, res) => {
    const path = pathOf(req);
    if (path === "/validate" && req.method === "POST") return validate(req, res);
    if (answerProbe(req, res, path, ready)) return;
    req.resume();
    sendJson(res, 404, { message: `no route for ${req.method} ${path}; the webhook serves POST /validate, GET /healthz and GET /readyz` });
  };
}

export interface WebhookServerOptions<Request extends AdmittedRequest = AdmittedRequest> extends WebhookDependencies<Request> {
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
  /** /readyz answers 503 from now on; requests are still answered until close(). */
  stopBeingReady(): void;
  /** Stops accepting, lets in-flight requests finish, then closes (forcefully after timeoutMs). */
  close(timeoutMs?: number): Promise<void>;
}

/** HTTPS (TLS ≥ 1.2) around the handler, with certificate reload. Resolves once listening. */
export async function startWebhookServer<Request extends AdmittedRequest>(options: WebhookServerOptions<Request>): Promise<WebhookServer> {
  const material = await loadTlsMaterial(options.certFile, options.keyFile);
  const state = { shuttingDown: false };
  const server = createServer(
    { ...secureOptions(material), handshakeTimeout: options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS },
    createWebhookHandler(options, state),
  );
  // Slow-client limits: nothing may hold a socket much longer than the API server waits.
  server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  server.keepAliveTimeout = 65_000;
  const tlsLog = componentLogger(options.logger, "tls");
  server.on("tlsClientError", (error) => tlsLog.debug({ err: error }, "handshake failed"));
  const tls = new TlsReloader(material, {
    certFile: options.certFile,
    keyFile: options.keyFile,
    logger: tlsLog,
    pollMs: options.tlsPollMs,
    onChange: (next) => server.setSecureContext(secureOptions(next)),
  });
  const port = await listen(server, options.port, options.host ?? "0.0.0.0");
  tls.start();
  let closing: Promise<void> | undefined;
  const stopBeingReady = () => {
    state.shuttingDown = true;
  };
  return {
    server,
    port,
    tls,
    stopBeingReady,
    close(timeoutMs = 10_000) {
      closing ??= (() => {
        stopBeingReady();
        tls.stop();
        return closeServer(server, timeoutMs);
      })();
      return closing;
    },
  };
}
