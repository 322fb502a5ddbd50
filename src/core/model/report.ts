import type { Finding } from "./findings.js";

/** A finding located in the input it came from (CLI). */
export interface ReportedFinding extends Finding {
  /** File the resource came from ("-" for stdin); undefined outside the CLI. */
  file?: string;
  /** 1-based line of the resource's document in that file, when known. */
  line?: number;
}

/** Input that could not be read or parsed; the rest is still checked. */
export interface InputError {
  file: string;
  /** 1-based line, null when the whole file is at fault (unreadable, not found). */
  line: number | null;
  message: string;
}

export interface CheckSummary {
  resources: number;
  deny: number;
  warn: number;
  audit: number;
}

export interface CheckReport {
  findings: ReportedFinding[];
  errors: InputError[];
  summary: CheckSummary;
}
