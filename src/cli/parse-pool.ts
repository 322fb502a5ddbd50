import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { parseSource, type LoadResult, type SourceText } from "./parse-source.js";

/** Below this much text, starting workers costs more than it saves. */
const PARALLEL_THRESHOLD_BYTES = 1024 * 1024;
const MAX_WORKERS = 4;

// Workers run the compiled parse-worker.js; from TypeScript sources (tests) parse in-thread.
const workerUrl = import.meta.url.endsWith(".js") ? new URL("./parse-worker.js", import.meta.url) : undefined;

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

/**
 * Parses every source, in parallel worker threads when the input is large (YAML parsing is
 * most of a large `check`), and returns the results in input order.
 */
export async function parseSources(sources: readonly SourceText[], requestedWorkers?: number): Promise<LoadResult[]> {
  const n = workerCount(sources, requestedWorkers);
  if (n === 0) return sources.map((source) => parseSource(source));
  const results: LoadResult[] = new Array(sources.length);
  const groups = balance(sources, n);
  try {
    await Promise.all(
      groups.map(async (indexes) => {
        const parsed = await parseInWorker(indexes.map((i) => sources[i]!));
        indexes.forEach((sourceIndex, k) => (results[sourceIndex] = parsed[k]!));
      }),
    );
    return results;
  } catch {
    // A worker that cannot start (or dies) must not lose input: parse in this thread instead.
    return sources.map((source) => parseSource(source));
  }
}
