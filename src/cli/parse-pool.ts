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
 * Parses every source and returns the results in input order: plain manifests and JSON in
 * this thread (fast paths), the rest with the `yaml` package, in workers when it is large.
 */
export async function parseSources(sources: readonly SourceText[], requestedWorkers?: number): Promise<LoadResult[]> {
  const results = sources.map((source) => parseSourceFast(source));
  const slowIndexes = results.flatMap((result, i) => (result === undefined ? [i] : []));
  if (slowIndexes.length === 0) return results as LoadResult[];
  const parsed = await parseSlow(
    slowIndexes.map((i) => sources[i]!),
    requestedWorkers,
  );
  slowIndexes.forEach((sourceIndex, k) => (results[sourceIndex] = parsed[k]!));
  return results as LoadResult[];
}
