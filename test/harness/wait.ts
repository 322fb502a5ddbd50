// Polling for tests against real processes: wait until something holds, with a message that
// says what was awaited, the condition's last error and any detail the caller can add.

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `condition` every 100 ms until it returns true and resolves with the milliseconds it
 * took. A condition that throws counts as "not yet" (the API server may be restarting); after
 * `timeoutMs` it rejects naming `what`, the last error and `detail()` (e.g. a log tail).
 */
export async function until(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
  detail: () => string = () => "",
): Promise<number> {
  const started = Date.now();
  let lastError: unknown;
  for (;;) {
    try {
      if (await condition()) return Date.now() - started;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() - started > timeoutMs) {
      const extra = detail();
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ""}${extra ? `\n${extra}` : ""}`,
      );
    }
    await sleep(100);
  }
}
