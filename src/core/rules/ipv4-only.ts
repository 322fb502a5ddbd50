import { describeRef } from "../model/refs.js";
import type { Field } from "../model/types.js";
import { isS3Endpoint } from "./policy-views.js";
import type { Rule, RuleFinding } from "./rule.js";

const NOT_IPV4 = new Set(["ipv6", "dualstack"]);

/**
 * Guide, fifth bullet: S3 endpoints carried IPv4 traffic only. AWS added IPv6 in Nov 2025,
 * so at awsFeatureLevel "current" this rule is silent.
 */
export const ipv4Only: Rule = {
  id: "ipv4-only",
  defaultAction: "warn",
  guide: "Endpoints for Amazon S3 (fifth note: IPv4 only)",
  description: "S3 endpoint whose IP address type or DNS record type is ipv6 or dualstack.",
  appliesTo: ["Endpoint"],
  check(subject, ctx) {
    if (!isS3Endpoint(subject) || ctx.config.awsFeatureLevel === "current") return [];
    const fields: (Field<string> | undefined)[] = [subject.ipAddressType, subject.dnsRecordIpType];
    const findings: RuleFinding[] = [];
    for (const field of fields) {
      if (!field || !NOT_IPV4.has(field.value.toLowerCase())) continue;
      findings.push({
        message: `${describeRef(subject.ref)}: ${field.path} is ${field.value}, but the guide supports S3 endpoints for IPv4 traffic only.`,
        fix: `Set ${field.path} to ipv4, or set awsFeatureLevel: current if you rely on AWS's IPv6 support for S3 endpoints (Nov 2025).`,
        path: field.path,
      });
    }
    return findings;
  },
};
