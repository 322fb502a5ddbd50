import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { parseSource, parseSourceFast, type LoadResult, type SourceText } from "./parse-source.js";

/**
 * Below this much text left to the `yaml` package, starting workers costs more than it saves.
 * Plain manifests never get here: the fast reader takes about 10 ms per MiB in this thread
 * (bench/yaml-parsers.mjs), less than a worker's start and the copy of its results back.
 */
const PARALLEL_THRESHOLD_BYTES = 1024 * 1024;
const MAX_WORKERS = 4;

// Workers run the compiled parse-worker.js (beside tsc's output or the bundle, cli.cjs); from
// TypeScript sources (tests) parse in-thread.
const workerUrl = /\.c?js$/.test(import.meta.url) ? new URL("./parse-worker.js", import.meta.url) : undefined;

function workerCount(sources: readonly SourceText[], requested: number | undefined): number {
  const fromEnv = process.env.S3VG_PARSE_WORKERS;
  const wanted = requested ?? (fromEnv !== undefined && fromEnv !== "" ? Number(fromEnv) : Math.min(availableParallelism(), MAX_WORKERS));
  const bytes = sources.reduce((n, s) => n + s.text.length, 0);
  if (!workerUrl || !Number.isFinite(wanted) || wanted < 2 || sources.length < 2 || bytes < PARALLEL_THRESHOLD_BYTES) return 0;
  return Math.min(wanted, sources.length);
}

/** Splits sources into `n` groups of similar size (largest first, each to the lightest group). */
function balance(sources: readonly SourceText[], n: number): number[][] {
  const groups = Array.from({ length: n }, () => ({ bytes: 0, indexes: [] as number[] }));
  const bySize = sources.map((s, i) => ({ i, bytes: s.text.length })).sort((a, b) => b.bytes - a.bytes);
  for (const { i, bytes } of bySize) {
    const lightest = groups.reduce((a, b) => (b.bytes < a.bytes ? b : a));
    lightest.bytes += bytes;
    lightest.indexes.push(i);
  }
  return groups.map((g) => g.indexes).filter((g) => g.length > 0);
}

function parseInWorker(sources: SourceText[]): Promise<LoadResult[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerUrl!, { workerData: sources });
    worker.once("message", (results: LoadResult[]) => resolve(results));
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (code !== 0) reject(new Error(`parse worker exited with code ${code}`));
    });
  });
}

/** Parses with the `yaml` package, in parallel worker threads when there is enough of it. */
async function parseSlow(sources: readonly SourceText[], requestedWorkers: number | undefined): Promise<LoadResult[]> {
  const slow = (source: SourceText): LoadResult => parseSource(source, { fastPaths: false });
  const n = workerCount(sources, requestedWorkers);
  if (n === 0) return sources.map(slow);
  const results: LoadResult[] = new Array(sources.length);
  try {
    await Promise.all(
      balance(sources, n).map(async (indexes) => {
        const parsed = await parseInWorker(indexes.map((i) => sources[i]!));
        indexes.forEach((sourceIndex, k) => (results[sourceIndex] = parsed[k]!));
      }),
    );
    return results;
  } catch {
    // A worker that cannot start (or dies) must not lose input: parse in this thread instead.
    return sources.map(slow);
  }
}

/**
 * Parses every source and hands each result to `visit`, in input order: plain manifests and
 * JSON in this thread (fast paths), the rest with the `yaml` package, in workers when it is large.
 * A source the fast paths read is handed over before the next one is parsed, so a caller that
 * consumes each result holds one source's objects at a time, not all of them; sources after
 * one that needs the `yaml` package wait for it (and are handed over in order after it).
 */
export async function forEachParsed(
  sources: readonly SourceText[],
  requestedWorkers: number | undefined,
  visit: (result: LoadResult) => void,
): Promise<void> {
  const waiting: (LoadResult | undefined)[] = [];
  const slowIndexes: number[] = [];
  sources.forEach((source, i) => {
    const result = parseSourceFast(source);
    if (result !== undefined && slowIndexes.length === 0) visit(result);
    else if (result === undefined) slowIndexes.push(i);
    else waiting[i] = result;
  });
  const firstSlow = slowIndexes[0];
  if (firstSlow === undefined) return;
  const parsed = await parseSlow(
    slowIndexes.map((i) => sources[i]!),
    requestedWorkers,
  );
  slowIndexes.forEach((sourceIndex, k) => (waiting[sourceIndex] = parsed[k]!));
  for (let i = firstSlow; i < sources.length; i++) visit(waiting[i]!);
}
