/**
 * Builders for manifests in the shapes of the real CRDs (see shared/crds/FIELDS.md), so
 * that rule tests go through the adapters exactly like user input does.
 */
import type { KubeObject } from "../../src/core/adapters/types.js";

type Policy = string | Record<string, unknown> | undefined;
const policyText = (p: Policy) => (p === undefined ? undefined : typeof p === "string" ? p : JSON.stringify(p));
const compact = <T extends Record<string, unknown>>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

export interface EndpointOptions {
  name?: string;
  namespace?: string;
  region?: string;
  serviceName?: string;
  type?: string;
  vpcId?: string;
  policy?: Policy;
  awsId?: string;
  ipAddressType?: string;
  dnsRecordIpType?: string;
  serviceRegion?: string;
  routeTableIds?: string[];
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
}

const meta = (
  o: { name?: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string> },
  fallback: string,
) => compact({ name: o.name ?? fallback, namespace: o.namespace, annotations: o.annotations, labels: o.labels });

/** Upjet VPCEndpoint: cluster v1beta2 by default; `namespaced` gives ec2.aws.m.upbound.io. */
export function upjetEndpoint(o: EndpointOptions = {}, variant: "v1beta1" | "v1beta2" | "namespaced" = "v1beta2"): KubeObject {
  const region = o.region ?? "us-east-1";
  const dnsOptions =
    o.dnsRecordIpType === undefined
      ? undefined
      : variant === "v1beta1"
        ? [{ dnsRecordIpType: o.dnsRecordIpType }]
        : { dnsRecordIpType: o.dnsRecordIpType };
  return {
    apiVersion: variant === "namespaced" ? "ec2.aws.m.upbound.io/v1beta1" : `ec2.aws.upbound.io/${variant}`,
    kind: "VPCEndpoint",
    metadata: meta({ ...o, namespace: variant === "namespaced" ? (o.namespace ?? "team-a") : undefined }, "s3-gateway"),
    spec: {
      forProvider: compact({
        region,
        serviceName: o.serviceName ?? `com.amazonaws.${region}.s3`,
        vpcEndpointType: o.type,
        vpcId: o.vpcId ?? "vpc-0a1b2c3d4e5f67890",
        policy: policyText(o.policy),
        ipAddressType: o.ipAddressType,
        dnsOptions,
        serviceRegion: o.serviceRegion,
      }),
    },
    ...(o.awsId ? { status: { atProvider: { id: o.awsId } } } : {}),
  };
}

export function upjetRouteTableAssociation(o: {
  name?: string;
  endpointId?: string;
  endpointRef?: string;
  routeTableId?: string;
  namespaced?: boolean;
  namespace?: string;
  annotations?: Record<string, string>;
}): KubeObject {
  return {
    apiVersion: o.namespaced ? "ec2.aws.m.upbound.io/v1beta1" : "ec2.aws.upbound.io/v1beta1",
    kind: "VPCEndpointRouteTableAssociation",
    metadata: meta({ ...o, namespace: o.namespaced ? (o.namespace ?? "team-a") : undefined }, "s3-gateway-rtb"),
    spec: {
      forProvider: compact({
        region: "us-east-1",
        vpcEndpointId: o.endpointId,
        vpcEndpointIdRef: o.endpointRef ? { name: o.endpointRef } : undefined,
        routeTableId: o.routeTableId ?? "rtb-0a1b2c3d4e5f67890",
      }),
    },
  };
}

export function upjetBucket(
  o: {
    name?: string;
    bucketName?: string;
    region?: string;
    namespaced?: boolean;
    namespace?: string;
    labels?: Record<string, string>;
  } = {},
): KubeObject {
  return {
    apiVersion: o.namespaced ? "s3.aws.m.upbound.io/v1beta1" : "s3.aws.upbound.io/v1beta2",
    kind: "Bucket",
    metadata: meta(
      {
        ...o,
        namespace: o.namespaced ? (o.namespace ?? "team-a") : undefined,
        annotations: o.bucketName ? { "crossplane.io/external-name": o.bucketName } : undefined,
      },
      "my-secure-bucket",
    ),
    spec: { forProvider: { region: o.region ?? "us-east-1" } },
  };
}

export function upjetBucketPolicy(o: {
  name?: string;
  bucket?: string;
  bucketRef?: string;
  region?: string;
  policy: Policy;
  namespaced?: boolean;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}): KubeObject {
  return {
    apiVersion: o.namespaced ? "s3.aws.m.upbound.io/v1beta1" : "s3.aws.upbound.io/v1beta1",
    kind: "BucketPolicy",
    metadata: meta({ ...o, namespace: o.namespaced ? (o.namespace ?? "team-a") : undefined }, "my-secure-bucket-policy"),
    spec: {
      forProvider: compact({
        region: o.region ?? "us-east-1",
        bucket: o.bucketRef ? undefined : (o.bucket ?? "my-secure-bucket"),
        bucketRef: o.bucketRef ? { name: o.bucketRef } : undefined,
        policy: policyText(o.policy),
      }),
    },
  };
}

export function communityEndpoint(o: EndpointOptions = {}): KubeObject {
  const region = o.region ?? "us-east-1";
  return {
    apiVersion: "ec2.aws.crossplane.io/v1alpha1",
    kind: "VPCEndpoint",
    metadata: meta(
      { ...o, annotations: { ...(o.awsId ? { "crossplane.io/external-name": o.awsId } : {}), ...o.annotations } },
      "s3-gateway",
    ),
    spec: {
      forProvider: compact({
        region,
        serviceName: o.serviceName ?? `com.amazonaws.${region}.s3`,
        vpcEndpointType: o.type,
        vpcId: o.vpcId ?? "vpc-0a1b2c3d4e5f67890",
        routeTableIds: o.routeTableIds ?? ["rtb-0a1b2c3d4e5f67890"],
        policyDocument: policyText(o.policy),
        ipAddressType: o.ipAddressType,
        dnsOptions: o.dnsRecordIpType ? { dnsRecordIPType: o.dnsRecordIpType } : undefined,
      }),
    },
  };
}

export function communityBucket(o: { name?: string; locationConstraint?: string; policy?: Record<string, unknown> } = {}): KubeObject {
  return {
    apiVersion: "s3.aws.crossplane.io/v1beta1",
    kind: "Bucket",
    metadata: meta({ ...o, annotations: { "crossplane.io/external-name": o.name ?? "my-secure-bucket" } }, "my-secure-bucket"),
    spec: { forProvider: compact({ locationConstraint: o.locationConstraint ?? "us-east-1", policy: o.policy }) },
  };
}

export function communityBucketPolicy(o: {
  name?: string;
  bucketName?: string;
  region?: string;
  rawPolicy?: Policy;
  policy?: Record<string, unknown>;
}): KubeObject {
  return {
    apiVersion: "s3.aws.crossplane.io/v1alpha3",
    kind: "BucketPolicy",
    metadata: meta(o, "my-secure-bucket-policy"),
    spec: {
      forProvider: compact({
        region: o.region ?? "us-east-1",
        bucketName: o.bucketName ?? "my-secure-bucket",
        rawPolicy: policyText(o.rawPolicy),
        policy: o.policy,
      }),
    },
  };
}

export function ackEndpoint(o: EndpointOptions = {}): KubeObject {
  const region = o.region ?? "us-east-1";
  return {
    apiVersion: "ec2.services.k8s.aws/v1alpha1",
    kind: "VPCEndpoint",
    metadata: meta(
      { ...o, namespace: o.namespace ?? "team-a", annotations: { "services.k8s.aws/region": region, ...o.annotations } },
      "s3-gateway",
    ),
    spec: compact({
      serviceName: o.serviceName ?? `com.amazonaws.${region}.s3`,
      vpcEndpointType: o.type,
      vpcID: o.vpcId ?? "vpc-0a1b2c3d4e5f67890",
      routeTableIDs: o.routeTableIds ?? ["rtb-0a1b2c3d4e5f67890"],
      policyDocument: policyText(o.policy),
      ipAddressType: o.ipAddressType,
      dnsOptions: o.dnsRecordIpType ? { dnsRecordIPType: o.dnsRecordIpType } : undefined,
      serviceRegion: o.serviceRegion,
    }),
    ...(o.awsId ? { status: { vpcEndpointID: o.awsId } } : {}),
  };
}

export function ackBucket(
  o: { name?: string; bucketName?: string; namespace?: string; region?: string; locationConstraint?: string; policy?: Policy } = {},
): KubeObject {
  return {
    apiVersion: "s3.services.k8s.aws/v1alpha1",
    kind: "Bucket",
    metadata: meta(
      { ...o, namespace: o.namespace ?? "team-a", annotations: o.region ? { "services.k8s.aws/region": o.region } : undefined },
      "my-secure-bucket",
    ),
    spec: compact({
      name: o.bucketName ?? o.name ?? "my-secure-bucket",
      createBucketConfiguration: o.locationConstraint ? { locationConstraint: o.locationConstraint } : undefined,
      policy: policyText(o.policy),
    }),
  };
}

export function namespace(name: string, defaultRegion?: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: compact({ name, annotations: defaultRegion ? { "services.k8s.aws/default-region": defaultRegion } : undefined }),
  };
}

/** The guide's example policies, verbatim in meaning. */
export const GUIDE = {
  bucketOnly: {
    Statement: [
      {
        Sid: "Access-to-specific-bucket-only",
        Principal: "*",
        Action: ["s3:GetObject", "s3:PutObject"],
        Effect: "Allow",
        Resource: ["arn:aws:s3:::my_secure_bucket", "arn:aws:s3:::my_secure_bucket/*"],
      },
    ],
  },
  amazonLinuxRepos: {
    Statement: [
      {
        Sid: "AmazonLinuxAMIRepositoryAccess",
        Principal: "*",
        Action: ["s3:GetObject"],
        Effect: "Allow",
        Resource: ["arn:aws:s3:::packages.*.amazonaws.com/*", "arn:aws:s3:::repo.*.amazonaws.com/*"],
      },
    ],
  },
  specificEndpoint: {
    Version: "2012-10-17",
    Id: "Policy1415115909152",
    Statement: [
      {
        Sid: "Access-to-specific-VPCE-only",
        Principal: "*",
        Action: "s3:*",
        Effect: "Deny",
        Resource: ["arn:aws:s3:::my_secure_bucket", "arn:aws:s3:::my_secure_bucket/*"],
        Condition: { StringNotEquals: { "aws:sourceVpce": "vpce-1a2b3c4d" } },
      },
    ],
  },
  specificVpc: {
    Version: "2012-10-17",
    Id: "Policy1415115909152",
    Statement: [
      {
        Sid: "Access-to-specific-VPC-only",
        Principal: "*",
        Action: "s3:*",
        Effect: "Deny",
        Resource: ["arn:aws:s3:::my_secure_bucket", "arn:aws:s3:::my_secure_bucket/*"],
        Condition: { StringNotEquals: { "aws:sourceVpc": "vpc-111bbb22" } },
      },
    ],
  },
} as const;

/** A restricted endpoint policy granting one bucket (both ARNs). */
export function bucketGrant(
  bucket: string,
  actions: string[] = ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
): Record<string, unknown> {
  return {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: "*", Action: actions, Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`] }],
  };
}

/** The guide's Deny-unless-endpoint bucket policy for one bucket and one endpoint. */
export function denyUnlessEndpoint(
  bucket: string,
  vpce: string,
  key = "aws:SourceVpce",
  operator = "StringNotEquals",
): Record<string, unknown> {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyUnlessEndpoint",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
        Condition: { [operator]: { [key]: vpce } },
      },
    ],
  };
}

/** A bucket policy whose only grant relies on a private aws:SourceIp range (a source-ip-condition deny). */
export const PRIVATE_SOURCE_IP_POLICY = {
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: "*",
      Action: "s3:GetObject",
      Resource: "arn:aws:s3:::my-secure-bucket/*",
      Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } },
    },
  ],
};

/** A Deny unless from a public range: through an endpoint it denies every request (source-ip-condition). */
export const DENY_UNLESS_PUBLIC_RANGE = {
  Statement: [
    {
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: "arn:aws:s3:::b/*",
      Condition: { NotIpAddress: { "aws:SourceIp": "203.0.113.0/24" } },
    },
  ],
};

/**
 * An endpoint whose policy parses within a small work limit but whose rules run out of it:
 * 250 statements of wildcard-heavy actions, resources and endpoint ids. Its declared consumers
 * make required-bucket-access probe the policy for each of their buckets.
 */
export function overBudgetEndpoint(): KubeObject {
  const statements = Array.from({ length: 250 }, (_, i) => ({
    Effect: "Allow",
    Principal: "*",
    Action: [`s3:${"?*".repeat(30)}${i}`],
    Resource: [`arn:aws:s3:::${"a*".repeat(30)}${"b".repeat(100)}${i}/*`],
    Condition: { StringLike: { "aws:SourceVpce": `vpce-${"?*".repeat(30)}${i}`, "aws:userid": "a*z" } },
  }));
  return upjetEndpoint({
    annotations: { "s3-vpce-guard.io/consumers": "ssm,ecr,cloudformation,elastic-beanstalk" },
    policy: { Version: "2012-10-17", Statement: statements },
  });
}
