/**
 * The configuration the engine reads (README "Configuration"), as plain types. The file format,
 * its validation and its defaults live with the command line (src/cli/config/schema.ts), which
 * checks at compile time that what it parses is exactly this shape.
 */
import type { RuleAction, RuleId } from "./model/findings.js";

export const CONSUMER_IDS = [
  "appstream",
  "cloudformation",
  "codedeploy",
  "elastic-beanstalk",
  "opsworks",
  "workdocs",
  "workspaces",
  "amazon-linux",
  "amazon-linux-2",
  "amazon-linux-2023",
  "ecr",
  "ssm",
  "emr",
] as const;
export type ConsumerId = (typeof CONSUMER_IDS)[number];

/** Steps of work per review: a few tens of milliseconds on one core (README "Limits"). */
export const DEFAULT_WORK_STEPS = 2_000_000;

export type Weekday = "Mon" | "Tue" | "Wed" | "Thu" | "Fri" | "Sat" | "Sun";

export interface LabelSelector {
  matchLabels?: Record<string, string> | undefined;
  matchExpressions?: { key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values?: string[] | undefined }[] | undefined;
}

export interface Exemption {
  namespaces?: string[] | undefined;
  selector?: LabelSelector | undefined;
  rules?: RuleId[] | undefined;
}

export interface Consumer {
  vpcIds?: string[] | undefined;
  endpointSelector?: LabelSelector | undefined;
  services: ConsumerId[];
  buckets: string[];
}

export interface ChangeWindow {
  days: Weekday[];
  /** HH:MM, 24-hour clock. */
  start: string;
  end: string;
  timezone: string;
}

export interface Config {
  rules: Partial<Record<RuleId, { action: RuleAction }>>;
  exemptions: Exemption[];
  allowResourceExemptions: boolean;
  consumers: Consumer[];
  /** Extra bucket ARN globs per consumer, added to the built-in ones. */
  consumerBuckets: Partial<Record<ConsumerId, string[]>>;
  changeWindows: ChangeWindow[];
  defaults: { region: string };
  awsFeatureLevel: "guide" | "current";
  probeActions: string[];
  /** Durations such as "30s", "5m", "1h". */
  audit: { interval: string };
  /**
   * Events from the background audit: `deny` (default) one Event per object whose deny or
   * warn findings changed, `all` also for audit-only findings, `off` none (reports and
   * metrics still carry every finding).
   */
  events: { audit: "off" | "deny" | "all" };
  aws: { enabled: boolean; cacheTtl: string; endpoint?: string | undefined };
  /**
   * The work one review may take (steps of matching, parsing and evaluation, not time), and
   * what admission answers for an object that needs more: "allow" (with a warning) or "deny".
   */
  limits: { workSteps: number; onExceeded: "allow" | "deny" };
  /**
   * Admission of an UPDATE whose object already violated a deny rule before the change
   * (Kyverno's `allowExistingViolations`): `true` (default) admits it with the violation as a
   * warning, so controllers can still write annotations and remove finalizers of objects that
   * predate the webhook; a violation the update introduces is denied either way.
   */
  admission: { allowExistingViolations: boolean };
}

/**
 * The configuration without a file: what the config file's schema fills in for `{}`
 * (test/config/config.test.ts keeps the two equal), without loading the schema library.
 */
export function defaultConfig(): Config {
  return {
    rules: {},
    exemptions: [],
    allowResourceExemptions: false,
    consumers: [],
    consumerBuckets: {},
    changeWindows: [],
    defaults: { region: "us-east-1" },
    awsFeatureLevel: "guide",
    probeActions: ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
    audit: { interval: "5m" },
    events: { audit: "deny" },
    aws: { enabled: false, cacheTtl: "5m" },
    limits: { workSteps: DEFAULT_WORK_STEPS, onExceeded: "allow" },
    admission: { allowExistingViolations: true },
  };
}
