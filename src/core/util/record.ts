/** A JSON object as parsed: string keys, values still to be checked. */
export type JsonRecord = Record<string, unknown>;

/** A JSON object (not null, not an array): the one guard before reading fields of parsed input. */
export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value when it is a JSON object, else undefined (for optional chains over parsed input). */
export function asRecord(value: unknown): JsonRecord | undefined {
  return isRecord(value) ? value : undefined;
}
