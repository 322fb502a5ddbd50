import { z } from "zod";
import { CONSUMER_IDS, DEFAULT_WORK_STEPS, type Config } from "../../core/config.js";
import { RULE_IDS } from "../../core/model/findings.js";
import { DURATION_PATTERN } from "../../core/util/duration.js";

const ruleId = z.enum(RULE_IDS);
const action = z.enum(["deny", "warn", "audit", "off"]);
const day = z.enum(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]);
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "expected HH:MM (24-hour clock)");
const duration = z.string().regex(DURATION_PATTERN, 'expected a duration such as "30s", "5m" or "1h"');

const labelSelector = z
  .object({
    matchLabels: z.record(z.string(), z.string()).optional(),
    matchExpressions: z
      .array(
        z
          .object({
            key: z.string(),
            operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]),
            values: z.array(z.string()).optional(),
          })
          .strict(),
      )
      .optional(),
  })
  .strict();

export const configSchema = z
  .object({
    rules: z.partialRecord(ruleId, z.object({ action }).strict()).default({}),
    exemptions: z
      .array(
        z
          .object({
            namespaces: z.array(z.string()).optional(),
            selector: labelSelector.optional(),
            rules: z.array(ruleId).optional(),
          })
          .strict(),
      )
      .default([]),
    allowResourceExemptions: z.boolean().default(false),
    consumers: z
      .array(
        z
          .object({
            vpcIds: z.array(z.string().regex(/^vpc-[0-9a-f]{8}([0-9a-f]{9})?$/, "expected a VPC id vpc-xxxxxxxx")).optional(),
            endpointSelector: labelSelector.optional(),
            services: z.array(z.enum(CONSUMER_IDS)).default([]),
            buckets: z.array(z.string().startsWith("arn:", "expected an S3 ARN such as arn:aws:s3:::bucket/*")).default([]),
          })
          .strict()
          .refine((c) => c.vpcIds !== undefined || c.endpointSelector !== undefined, {
            message: "a consumer needs vpcIds or endpointSelector",
          }),
      )
      .default([]),
    /** Extra bucket ARN globs per consumer, added to the built-in ones. */
    consumerBuckets: z.partialRecord(z.enum(CONSUMER_IDS), z.array(z.string())).default({}),
    changeWindows: z
      .array(
        z
          .object({
            days: z.array(day).min(1),
            start: hhmm,
            end: hhmm,
            timezone: z.string().default("UTC"),
          })
          .strict(),
      )
      .default([]),
    defaults: z
      .object({ region: z.string().default("us-east-1") })
      .strict()
      .default({ region: "us-east-1" }),
    awsFeatureLevel: z.enum(["guide", "current"]).default("guide"),
    probeActions: z
      .array(z.string().regex(/^[a-z0-9-]+:[A-Za-z0-9*?]+$/, "expected an action such as s3:GetObject"))
      .min(1)
      .default(["s3:GetObject", "s3:PutObject", "s3:ListBucket"]),
    audit: z
      .object({ interval: duration.default("5m") })
      .strict()
      .default({ interval: "5m" }),
    /**
     * Events from the background audit: `deny` (default) one Event per object whose deny or
     * warn findings changed, `all` also for audit-only findings, `off` none (reports and
     * metrics still carry every finding).
     */
    events: z
      .object({ audit: z.enum(["off", "deny", "all"]).default("deny") })
      .strict()
      .default({ audit: "deny" }),
    aws: z
      .object({ enabled: z.boolean().default(false), cacheTtl: duration.default("5m"), endpoint: z.string().optional() })
      .strict()
      .default({ enabled: false, cacheTtl: "5m" }),
    /**
     * The work one review may take (steps of matching, parsing and evaluation, not time), and
     * what admission answers for an object that needs more: "allow" (with a warning) or "deny".
     */
    limits: z
      .object({
        workSteps: z.number().int().min(10_000).max(100_000_000).default(DEFAULT_WORK_STEPS),
        onExceeded: z.enum(["allow", "deny"]).default("allow"),
      })
      .strict()
      .default({ workSteps: DEFAULT_WORK_STEPS, onExceeded: "allow" }),
    /**
     * An UPDATE of an object that already violated a deny rule: admitted with the violation as
     * a warning (default, as Kyverno's allowExistingViolations), or denied like a new one.
     */
    admission: z
      .object({ allowExistingViolations: z.boolean().default(true) })
      .strict()
      .default({ allowExistingViolations: true }),
  })
  .strict();

export type { Config } from "../../core/config.js";
export { CONSUMER_IDS, DEFAULT_WORK_STEPS, defaultConfig } from "../../core/config.js";

// The parsed file is exactly the engine's Config (src/core/config.ts): a change to one side
// that the other lacks fails the build here.
type Parsed = z.infer<typeof configSchema>;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const parsedIsConfig: Same<Parsed, Config> = true;
void parsedIsConfig;
