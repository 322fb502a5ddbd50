import { evaluatePolicy, parsePolicy } from "../../src/core/iam/index.js";
import type { AccessRequest, Decision, ParsedPolicy, PolicyDocument, PolicyKind } from "../../src/core/iam/index.js";

/** Parses and insists on a document (tests that need one fail loudly otherwise). */
export function documentOf(input: unknown, kind: PolicyKind = "bucket"): PolicyDocument {
  const parsed = parsePolicy(input, kind);
  if (!parsed.document) throw new Error(`no document: ${JSON.stringify(parsed.issues)}`);
  return parsed.document;
}

export function errorsOf(parsed: ParsedPolicy): { path: string; message: string }[] {
  return parsed.issues.filter((issue) => issue.severity === "error").map(({ path, message }) => ({ path, message }));
}

export function warningsOf(parsed: ParsedPolicy): { path: string; message: string }[] {
  return parsed.issues.filter((issue) => issue.severity === "warning").map(({ path, message }) => ({ path, message }));
}

export const OBJECT_ARN = "arn:aws:s3:::my-bucket/photos/cat.jpg";

/** One Allow statement for s3:GetObject on everything with the given Condition block. */
export function allowWithCondition(condition: unknown): PolicyDocument {
  return documentOf({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*", Condition: condition }],
  });
}

export function decide(policy: PolicyDocument, request: Partial<AccessRequest> = {}): Decision {
  return evaluatePolicy({ action: "s3:GetObject", resource: OBJECT_ARN, ...request }, policy).decision;
}

/** Does a single Allow statement with this condition grant a request with this context? */
export function conditionHolds(condition: unknown, context: AccessRequest["context"]): boolean {
  return decide(allowWithCondition(condition), { context }) === "Allow";
}
