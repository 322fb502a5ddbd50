import { s3ResourceLevel } from "../iam/index.js";
import { describeRef, policyPath } from "../model/refs.js";
import { hasWildcard } from "../iam/wildcard.js";
import { carriedPolicies } from "./policy-views.js";
import type { Statement } from "../iam/types.js";
import type { Rule, RuleFinding } from "./rule.js";
import { keptPerObject } from "../util/kept-per-object.js";

const S3_ARN_HEAD = ":s3:::";
const LINE_BREAKS = ["\n", "\r", "\u2028", "\u2029"];
const NONE: readonly string[] = [];

/** The actions named exactly (no wildcard) that act on `level` resources; a new array only when there are some. */
function exactActionsOfLevel(actions: readonly string[], level: "object" | "bucket"): readonly string[] {
  let found: string[] | undefined;
  for (const action of actions) if (!hasWildcard(action) && s3ResourceLevel(action) === level) (found ??= []).push(action);
  return found ?? NONE;
}

/** What the S3 resources of a statement can name, as bits (a number: no object per statement). */
const S3 = 1;
const OBJECT = 2;
const BUCKET = 4;

/**
 * S3 if any resource is an S3 ARN (or "*"), OBJECT if one can be an object ARN ("/" or "*"
 * after "arn:partition:s3:::"), BUCKET if one can be a bucket ARN (no "/"). Read in place:
 * this runs for every statement of every review.
 */
function s3ResourceKinds(resources: readonly string[]): number {
  let kinds = 0;
  for (const resource of resources) {
    const start = s3PartStart(resource);
    if (start === undefined) continue;
    kinds |= S3;
    const slash = resource.indexOf("/", start) >= 0;
    if (slash || resource.indexOf("*", start) >= 0) kinds |= OBJECT;
    if (!slash) kinds |= BUCKET;
  }
  return kinds;
}

/** Where the bucket[/key] part of an S3 ARN starts ("*" names everything: 0), else undefined. */
function s3PartStart(resource: string): number | undefined {
  if (resource === "*") return 0;
  if (!resource.startsWith("arn:")) return undefined;
  const colon = resource.indexOf(":", 4);
  if (colon < 0 || !resource.startsWith(S3_ARN_HEAD, colon)) return undefined;
  const start = colon + S3_ARN_HEAD.length;
  // A line break makes it no ARN (as the /^arn:[^:]*:s3:::(.*)$/ this replaces read it).
  for (const lineBreak of LINE_BREAKS) if (resource.includes(lineBreak, start)) return undefined;
  return start;
}

interface DeadActions {
  objectActions: readonly string[];
  bucketActions: readonly string[];
}

/**
 * The actions an Allow statement names for the wrong kind of ARN (undefined: none), kept with
 * the statement: a policy reviewed again is not read again.
 */
const deadActionsOf = keptPerObject((statement: Statement): DeadActions | undefined => {
  const kinds = s3ResourceKinds(statement.resource ?? NONE);
  if ((kinds & S3) === 0 || (kinds & (OBJECT | BUCKET)) === (OBJECT | BUCKET)) return undefined;
  const actions = statement.action ?? NONE;
  const objectActions = kinds & OBJECT ? NONE : exactActionsOfLevel(actions, "object");
  const bucketActions = kinds & BUCKET ? NONE : exactActionsOfLevel(actions, "bucket");
  return objectActions.length > 0 || bucketActions.length > 0 ? { objectActions, bucketActions } : undefined;
});

/**
 * The guide's bucket example lists both arn:aws:s3:::bucket and arn:aws:s3:::bucket/*:
 * object actions apply to object ARNs and bucket actions to the bucket ARN, so a grant
 * with only one kind of ARN is dead for the other kind of action.
 */
export const objectArnCoverage: Rule = {
  id: "object-arn-coverage",
  defaultAction: "warn",
  guide: "Restricting access to a specific bucket (the example lists both bucket and bucket/* ARNs)",
  description: "Object actions granted only on bucket ARNs, or bucket actions only on object ARNs.",
  appliesTo: ["Endpoint", "Bucket", "BucketPolicy"],
  check(subject) {
    const findings: RuleFinding[] = [];
    for (const { field } of carriedPolicies(subject)) {
      for (const statement of field.document?.statements ?? []) {
        if (statement.effect !== "Allow" || !statement.action || !statement.resource) continue;
        const dead = deadActionsOf(statement);
        if (dead === undefined) continue;
        const { objectActions, bucketActions } = dead;
        const path = policyPath(field, `${statement.path}.Resource`);
        const who = describeRef(subject.ref);
        if (objectActions.length > 0) {
          findings.push({
            message: `${who}: ${path} lists only bucket ARNs, so the object actions ${objectActions.join(", ")} in ${statement.path} grant nothing.`,
            fix: `Add the object ARN (arn:aws:s3:::<bucket>/*) to ${path}.`,
            path,
          });
        }
        if (bucketActions.length > 0) {
          findings.push({
            message: `${who}: ${path} lists only object ARNs, so the bucket actions ${bucketActions.join(", ")} in ${statement.path} grant nothing.`,
            fix: `Add the bucket ARN (arn:aws:s3:::<bucket>, without /*) to ${path}.`,
            path,
          });
        }
      }
    }
    return findings;
  },
};
