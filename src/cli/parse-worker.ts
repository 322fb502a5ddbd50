import { parentPort, workerData } from "node:worker_threads";
import { parseSource, type SourceText } from "./parse-source.js";

// One batch per worker: parse, send the plain results back, exit.
parentPort?.postMessage((workerData as SourceText[]).map((source) => parseSource(source)));
