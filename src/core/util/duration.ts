const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** The duration format of the config file: a whole number and a unit, "250ms", "30s", "5m", "1h". */
export const DURATION_PATTERN = /^(\d+)(ms|s|m|h)$/;

/** "30s", "5m", "1h", "250ms" (DURATION_PATTERN) → milliseconds; undefined when unreadable. */
export function parseDurationMs(text: string): number | undefined {
  const match = DURATION_PATTERN.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}
