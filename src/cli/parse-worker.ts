import { parentPort, workerData } from "node:worker_threads";
import { parseSource, type SourceText } from "./input-files.js";

// One batch per worker: parse, send the plain results back, exit.
parentPort?.postMessage((workerData as SourceText[]).map(parseSource));
