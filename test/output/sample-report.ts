import type { CheckReport, ReportedFinding } from "../../src/core/model/report.js";
import type { SarifRuleDescriptor } from "../../src/app/output/sarif.js";

export const denyFinding: ReportedFinding = {
  rule: "source-ip-condition",
  action: "deny",
  message: "BucketPolicy team-a/logs: spec.forProvider.policy denies on aws:SourceIp, which never matches through an endpoint.",
  fix: "Use aws:SourceVpce or aws:SourceVpc instead of aws:SourceIp.",
  guide: "Using Amazon S3 bucket policies",
  resource: { apiVersion: "s3.aws.m.upbound.io/v1beta1", kind: "BucketPolicy", namespace: "team-a", name: "logs" },
  path: 'spec.forProvider.policy → Statement[1].Condition.NotIpAddress["aws:SourceIp"]',
  file: "manifests/team-a/bucket policy.yaml",
  line: 12,
};

export const warnFinding: ReportedFinding = {
  rule: "endpoint-full-access",
  action: "warn",
  message: "VPCEndpoint s3-gateway has no policy: AWS's default policy allows every S3 action on every bucket.",
  fix: "Set spec.forProvider.policy to allow only your buckets.",
  guide: "Restricting access to a specific bucket",
  resource: { apiVersion: "ec2.aws.upbound.io/v1beta2", kind: "VPCEndpoint", namespace: null, name: "s3-gateway" },
  path: "spec.forProvider.policy",
  file: "manifests/endpoints.yaml",
  line: 1,
};

export const auditFinding: ReportedFinding = {
  rule: "ipv4-only",
  action: "audit",
  message: "VPCEndpoint s3-gateway: spec.forProvider.ipAddressType is dualstack.",
  fix: "Use ipv4.",
  guide: "Limitations and restrictions",
  resource: warnFinding.resource,
  path: "spec.forProvider.ipAddressType",
  file: "manifests/endpoints.yaml",
  line: 1,
};

export const stdinFinding: ReportedFinding = {
  ...warnFinding,
  resource: { apiVersion: "ec2.services.k8s.aws/v1alpha1", kind: "VPCEndpoint", namespace: "ack", name: "piped" },
  file: "-",
  line: 3,
};

export const sampleReport: CheckReport = {
  findings: [warnFinding, denyFinding, auditFinding, stdinFinding],
  errors: [
    { file: "manifests/broken.yaml", line: 4, message: "column 3: Map keys must be unique" },
    { file: "manifests/missing.yaml", line: null, message: "cannot read: ENOENT: no such file or directory" },
  ],
  summary: { resources: 12, deny: 1, warn: 2, audit: 1 },
};

export const cleanReport: CheckReport = {
  findings: [],
  errors: [],
  summary: { resources: 3, deny: 0, warn: 0, audit: 0 },
};

export const sampleRules: SarifRuleDescriptor[] = [
  {
    id: "source-ip-condition",
    defaultAction: "deny",
    description: "Policies that rely on aws:SourceIp, which endpoint traffic never carries.",
    guide: "Using Amazon S3 bucket policies",
    fix: "Use aws:SourceVpce or aws:SourceVpc.",
  },
  {
    id: "endpoint-full-access",
    defaultAction: "warn",
    description: "S3 endpoints that let any principal reach any bucket.",
    guide: "Restricting access to a specific bucket",
  },
  {
    id: "ipv4-only",
    defaultAction: "warn",
    description: "Endpoints that ask for IPv6.",
    guide: "Limitations and restrictions",
  },
  {
    id: "aws-drift",
    defaultAction: "off",
    description: "Endpoints that differ from AWS.",
    guide: "—",
  },
];
