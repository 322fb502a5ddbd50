import { parentPort, workerData } from "node:worker_threads";
import { parseSource, type SourceText } from "./parse-source.js";

// One batch per worker: parse with the `yaml` package (the fast paths were tried already),
// send the plain results back, exit.
parentPort?.postMessage((workerData as SourceText[]).map((source) => parseSource(source, { fastPaths: false })));
