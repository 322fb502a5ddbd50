/**
 * IAM actions: wildcard matching and the S3 action table. The table lists which S3 actions act
 * on object ARNs (`arn:aws:s3:::bucket/key`) and which on bucket ARNs (`arn:aws:s3:::bucket`);
 * the names were taken from the AWS Service Authorization Reference (resource types "object"
 * and "bucket"). Actions on access points, jobs, Storage Lens etc. are in neither list.
 */

import { compileWildcard, matchesWildcard } from "./wildcard.js";

const OBJECT_ACTION_NAMES = [
  "AbortMultipartUpload",
  "BypassGovernanceRetention",
  "DeleteObject",
  "DeleteObjectAnnotation",
  "DeleteObjectTagging",
  "DeleteObjectVersion",
  "DeleteObjectVersionAnnotation",
  "DeleteObjectVersionTagging",
  "GetObject",
  "GetObjectAcl",
  "GetObjectAnnotation",
  "GetObjectAttributes",
  "GetObjectLegalHold",
  "GetObjectRetention",
  "GetObjectTagging",
  "GetObjectTorrent",
  "GetObjectVersion",
  "GetObjectVersionAcl",
  "GetObjectVersionAnnotation",
  "GetObjectVersionAnnotationForReplication",
  "GetObjectVersionAttributes",
  "GetObjectVersionForReplication",
  "GetObjectVersionTagging",
  "GetObjectVersionTorrent",
  "InitiateReplication",
  "ListMultipartUploadParts",
  "ListObjectAnnotations",
  "ListObjectVersionAnnotations",
  "ObjectOwnerOverrideToBucketOwner",
  "PutObject",
  "PutObjectAcl",
  "PutObjectAnnotation",
  "PutObjectLegalHold",
  "PutObjectRetention",
  "PutObjectTagging",
  "PutObjectVersionAcl",
  "PutObjectVersionAnnotation",
  "PutObjectVersionTagging",
  "ReplicateDelete",
  "ReplicateObject",
  "ReplicateObjectAnnotation",
  "ReplicateTags",
  "RestoreObject",
  "UpdateObjectEncryption",
] as const;

const BUCKET_ACTION_NAMES = [
  "AllowVendedLogDeliveryForResource",
  "CreateBucket",
  "CreateBucketMetadataTableConfiguration",
  "DeleteBucket",
  "DeleteBucketMetadataTableConfiguration",
  "DeleteBucketPolicy",
  "DeleteBucketWebsite",
  "GetAccelerateConfiguration",
  "GetAnalyticsConfiguration",
  "GetBucketAbac",
  "GetBucketAcl",
  "GetBucketCORS",
  "GetBucketLocation",
  "GetBucketLogging",
  "GetBucketMetadataTableConfiguration",
  "GetBucketNotification",
  "GetBucketObjectLockConfiguration",
  "GetBucketOwnershipControls",
  "GetBucketPolicy",
  "GetBucketPolicyStatus",
  "GetBucketPublicAccessBlock",
  "GetBucketRequestPayment",
  "GetBucketTagging",
  "GetBucketVersioning",
  "GetBucketWebsite",
  "GetEncryptionConfiguration",
  "GetIntelligentTieringConfiguration",
  "GetInventoryConfiguration",
  "GetLifecycleConfiguration",
  "GetMetricsConfiguration",
  "GetReplicationConfiguration",
  "ListBucket",
  "ListBucketMultipartUploads",
  "ListBucketVersions",
  "ListTagsForResource",
  "PauseReplication",
  "PutAccelerateConfiguration",
  "PutAnalyticsConfiguration",
  "PutBucketAbac",
  "PutBucketAcl",
  "PutBucketCORS",
  "PutBucketLogging",
  "PutBucketNotification",
  "PutBucketObjectLockConfiguration",
  "PutBucketOwnershipControls",
  "PutBucketPolicy",
  "PutBucketPublicAccessBlock",
  "PutBucketRequestPayment",
  "PutBucketTagging",
  "PutBucketVersioning",
  "PutBucketWebsite",
  "PutEncryptionConfiguration",
  "PutIntelligentTieringConfiguration",
  "PutInventoryConfiguration",
  "PutLifecycleConfiguration",
  "PutMetricsConfiguration",
  "PutReplicationConfiguration",
  "TagResource",
  "UntagResource",
  "UpdateBucketMetadataAnnotationTableConfiguration",
  "UpdateBucketMetadataInventoryTableConfiguration",
  "UpdateBucketMetadataJournalTableConfiguration",
] as const;

/** S3 actions whose resource is an object ARN, e.g. "s3:GetObject". */
export const S3_OBJECT_ACTIONS: readonly string[] = OBJECT_ACTION_NAMES.map((name) => `s3:${name}`);
/** S3 actions whose resource is a bucket ARN, e.g. "s3:ListBucket". */
export const S3_BUCKET_ACTIONS: readonly string[] = BUCKET_ACTION_NAMES.map((name) => `s3:${name}`);

const objectActions = new Set(S3_OBJECT_ACTIONS.map((action) => action.toLowerCase()));
const bucketActions = new Set(S3_BUCKET_ACTIONS.map((action) => action.toLowerCase()));

export type S3ResourceLevel = "object" | "bucket";

/** Which ARN kind a concrete S3 action acts on; undefined when it is neither or unknown. */
export function s3ResourceLevel(action: string): S3ResourceLevel | undefined {
  // Asked for every action of every statement of every review: remembered by the text as
  // written (policies repeat a few dozen spellings), not lower-cased anew each time.
  let level = levelByAction.get(action);
  if (level === undefined) {
    const lower = action.toLowerCase();
    level = objectActions.has(lower) ? "object" : bucketActions.has(lower) ? "bucket" : null;
    if (levelByAction.size >= MAX_REMEMBERED_LEVELS) levelByAction.clear();
    levelByAction.set(action, level);
  }
  return level ?? undefined;
}
const MAX_REMEMBERED_LEVELS = 4096;
const levelByAction = new Map<string, S3ResourceLevel | null>();

/**
 * An action (or action pattern) that belongs to S3: `s3:…` (any case) or the bare `*`.
 * A pattern like `s*:Get*` is S3 too when it could match an S3 action.
 */
export function isS3Action(action: string): boolean {
  if (action === "*") return true;
  const colon = action.indexOf(":");
  const service = colon < 0 ? action : action.slice(0, colon);
  return matchesWildcard(service, "s3", { caseInsensitive: true });
}

/** IAM action matching: case-insensitive, `*` and `?` wildcards, `*` alone matches any action. */
export function actionMatches(pattern: string, action: string): boolean {
  return matchesWildcard(pattern, action, { caseInsensitive: true });
}

/** actionMatches with the pattern fixed, compiled once (for the evaluator's hot path). */
export function actionMatcher(pattern: string): (action: string) => boolean {
  if (pattern === "*") return () => true;
  const regex = compileWildcard(pattern, true);
  return (action) => regex.test(action);
}

/** The known S3 object and bucket actions a pattern covers (e.g. "s3:Get*"). */
export function expandS3Actions(pattern: string): string[] {
  return [...S3_OBJECT_ACTIONS, ...S3_BUCKET_ACTIONS].filter((action) => actionMatches(pattern, action));
}
