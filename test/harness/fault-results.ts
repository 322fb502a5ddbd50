// Fault-injection tests assert behaviour (converges, nothing lost or duplicated); the
// numbers they measure on the way (time to converge, admission latency during the fault)
// go to the file named by S3VG_FAULT_RESULTS, one JSON object a line, for bench/faults.sh
// to turn into the README's Reliability table. Without the variable nothing is written.
import { appendFileSync } from "node:fs";
import { logOnFailure } from "../helpers/failure-log.js";

export interface FaultMeasurement {
  /** Short scenario id, e.g. "api-server-stopped-30s". */
  scenario: string;
  /** What was measured, e.g. "converge_ms", "admission_p99_ms_during", "lost_results". */
  metric: string;
  value: number;
  /** Unit of value: "ms", "count", "req/s", "MB". */
  unit: string;
  /** One line of context a reader of the table needs. */
  note?: string;
}

export function recordFaultMeasurement(measurement: FaultMeasurement): void {
  const file = process.env.S3VG_FAULT_RESULTS;
  // On the console only when the test fails; bench/faults.sh reads the file.
  logOnFailure(
    `[fault] ${measurement.scenario} ${measurement.metric}=${measurement.value} ${measurement.unit}${measurement.note ? ` (${measurement.note})` : ""}`,
  );
  if (!file) return;
  appendFileSync(file, `${JSON.stringify({ ...measurement, at: new Date().toISOString() })}\n`);
}

/** Percentile (0..100) of a list of numbers, nearest-rank; NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
