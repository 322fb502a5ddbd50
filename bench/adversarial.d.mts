// Types of bench/adversarial.mjs for the TypeScript tests that share its payloads.
export function reviewOf(
  object: { apiVersion: string; kind: string; metadata: { name: string } },
  uid?: string,
  extra?: Record<string, unknown>,
): string;
export const REVIEW_FAMILIES: Record<string, (n: number) => string>;
export const HTTP_FAMILIES: Record<string, (n: number) => { status: number; body: string; declaredLength?: number }>;
export function normalReview(n: number): string;
export const OVER_BUDGET_POLICY: { Version: string; Statement: Record<string, unknown>[] };
