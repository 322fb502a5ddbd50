import type { ConsumerId } from "../config.js";
import { CONSUMER_IDS } from "../config.js";
import { matchesSelector } from "../inventory/labels.js";
import type { Endpoint } from "../model/types.js";
import type { RuleContext } from "./rule.js";

export const CONSUMERS_ANNOTATION = "s3-vpce-guard.io/consumers";

/** One thing a consumer must be able to do through the endpoint. */
export interface BucketNeed {
  /** ARN glob; `{region}` is the dashed region, `{regionNoDash}` the region without dashes. */
  arn: string;
  actions: string[];
}

export interface ConsumerNeeds {
  /** The guide says this consumer needs full S3 access (unless `buckets` are declared, for CodeDeploy). */
  fullAccess: boolean;
  buckets: BucketNeed[];
}

const get = (...arns: string[]): BucketNeed[] => arns.map((arn) => ({ arn, actions: ["s3:GetObject"] }));
const cloudFormationBuckets = (actions: string[]): BucketNeed[] =>
  ["arn:aws:s3:::cloudformation-waitcondition-{region}/*", "arn:aws:s3:::cloudformation-custom-resource-response-{regionNoDash}/*"].map(
    (arn) => ({ arn, actions }),
  );

/**
 * What each AWS consumer needs through a restricted S3 endpoint (guide service table and
 * "Enabling access to the Amazon Linux AMI repositories"; details in shared/guide/service-buckets.md).
 */
export const CONSUMER_NEEDS: Record<ConsumerId, ConsumerNeeds> = {
  workdocs: { fullAccess: true, buckets: [] },
  workspaces: { fullAccess: true, buckets: [] },
  codedeploy: { fullAccess: true, buckets: [] },
  // The wait-condition signal and custom-resource response are uploads to presigned URLs.
  cloudformation: { fullAccess: false, buckets: cloudFormationBuckets(["s3:PutObject"]) },
  "elastic-beanstalk": {
    fullAccess: false,
    buckets: [
      ...get(
        "arn:aws:s3:::elasticbeanstalk-platform-assets-{region}/*",
        "arn:aws:s3:::elasticbeanstalk-env-resources-{region}/*",
        "arn:aws:s3:::elasticbeanstalk-{region}/*",
      ),
      ...cloudFormationBuckets(["s3:GetObject"]),
    ],
  },
  opsworks: {
    fullAccess: false,
    buckets: get("arn:aws:s3:::opsworks-instance-agent-{region}/*", "arn:aws:s3:::opsworks-instance-assets-{region}/*"),
  },
  appstream: {
    fullAccess: false,
    buckets: [{ arn: "arn:aws:s3:::appstream2-36fb080bb8-*/*", actions: ["s3:GetObject", "s3:PutObject"] }],
  },
  "amazon-linux": {
    fullAccess: false,
    buckets: get("arn:aws:s3:::packages.{region}.amazonaws.com/*", "arn:aws:s3:::repo.{region}.amazonaws.com/*"),
  },
  "amazon-linux-2": {
    fullAccess: false,
    buckets: get("arn:aws:s3:::amazonlinux.{region}.amazonaws.com/*", "arn:aws:s3:::amazonlinux-2-repos-{region}/*"),
  },
  "amazon-linux-2023": { fullAccess: false, buckets: get("arn:aws:s3:::al2023-repos-{region}-de612dc2/*") },
  ecr: { fullAccess: false, buckets: get("arn:aws:s3:::prod-{region}-starport-layer-bucket/*") },
  ssm: {
    fullAccess: false,
    buckets: get(
      "arn:aws:s3:::aws-windows-downloads-{region}/*",
      "arn:aws:s3:::amazon-ssm-{region}/*",
      "arn:aws:s3:::aws-ssm-{region}/*",
      "arn:aws:s3:::patch-baseline-snapshot-{region}/*",
    ),
  },
  emr: { fullAccess: false, buckets: get("arn:aws:s3:::repo.{region}.emr.amazonaws.com/*") },
};

export interface DeclaredConsumer {
  id: ConsumerId;
  /** Where it was declared, for messages. */
  source: string;
  /** Extra buckets declared with it in config (CodeDeploy deployment buckets, …). */
  buckets: string[];
}

export interface ConsumerDeclarations {
  consumers: DeclaredConsumer[];
  /** Names in the annotation that are not consumer ids. */
  unknown: string[];
}

function isConsumerId(s: string): s is ConsumerId {
  return (CONSUMER_IDS as readonly string[]).includes(s);
}

/** Consumers declared for this endpoint: by its annotation and by config (VPC id or endpoint selector). */
export function declaredConsumers(endpoint: Endpoint, ctx: RuleContext): ConsumerDeclarations {
  const consumers: DeclaredConsumer[] = [];
  const unknown: string[] = [];
  const annotation = endpoint.annotations[CONSUMERS_ANNOTATION];
  if (annotation) {
    for (const name of annotation
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean)) {
      if (isConsumerId(name)) {
        consumers.push({ id: name, source: `annotation ${CONSUMERS_ANNOTATION}`, buckets: [] });
      } else {
        unknown.push(name);
      }
    }
  }
  const vpcId = endpoint.vpc?.value;
  ctx.config.consumers.forEach((entry, i) => {
    const byVpc = vpcId !== undefined && (entry.vpcIds ?? []).includes(vpcId);
    const bySelector = entry.endpointSelector !== undefined && matchesSelector(endpoint.labels, entry.endpointSelector);
    if (!byVpc && !bySelector) return;
    for (const id of entry.services) consumers.push({ id, source: `config consumers[${i}]`, buckets: entry.buckets });
    if (entry.services.length === 0 && entry.buckets.length > 0) {
      consumers.push({ id: "codedeploy", source: `config consumers[${i}]`, buckets: entry.buckets });
    }
  });
  return { consumers, unknown };
}

/** The needs of one declared consumer, with config's extra bucket globs. */
export function needsOf(consumer: DeclaredConsumer, ctx: RuleContext): ConsumerNeeds {
  const builtIn = CONSUMER_NEEDS[consumer.id];
  const extra = (ctx.config.consumerBuckets[consumer.id] ?? []).map((arn) => ({ arn, actions: ["s3:GetObject"] }));
  const declared = consumer.buckets.map((arn) => ({
    arn,
    actions: arn.includes("/") ? ["s3:GetObject"] : ["s3:ListBucket"],
  }));
  // CodeDeploy needs full access *or* the deployment buckets it was declared with.
  const fullAccess = builtIn.fullAccess && !(consumer.id === "codedeploy" && declared.length > 0);
  return { fullAccess, buckets: [...builtIn.buckets, ...extra, ...declared] };
}

export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/** A concrete ARN inside an ARN glob, for probing a policy with the evaluator. */
export function sampleArn(glob: string, region: string): string {
  return glob
    .replaceAll("{regionNoDash}", region.replaceAll("-", ""))
    .replaceAll("{region}", region)
    .replace(/^arn:aws:/, `arn:${partitionOf(region)}:`)
    .replaceAll("*", "s3vg-probe")
    .replaceAll("?", "x");
}

export function consumerNeedsFullAccess(endpoint: Endpoint, ctx: RuleContext): DeclaredConsumer | undefined {
  return declaredConsumers(endpoint, ctx).consumers.find((c) => needsOf(c, ctx).fullAccess);
}
