// The peers benchmark's input: Upjet VPCEndpoints (spec.forProvider.policy) and BucketPolicies
// (spec.forProvider.policy), both policies JSON strings, in 10 multi-document YAML files.
// Violations of the three compared rules are planted at fixed residues, in the plain shapes every
// engine's policy can recognise, so each engine must flag exactly `expected`.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { denyUnlessEndpoint, hex, regionOf, vpce } from "../corpus.mjs";

export const FILES = 10;

const scopedEndpointPolicy = (i) => ({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: "*",
      Action: ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
      Resource: [`arn:aws:s3:::bench-bucket-${i}`, `arn:aws:s3:::bench-bucket-${i}/*`],
    },
  ],
});

/** Endpoint i; every 20th has no policy (AWS's default full access), two more in 20 a written full-access one. */
export function upjetEndpoint(i) {
  const region = regionOf(i);
  const forProvider = { region, serviceName: `com.amazonaws.${region}.s3`, vpcEndpointType: "Gateway", vpcId: `vpc-${hex(i, 17)}` };
  const variant = i % 20;
  if (variant === 5)
    forProvider.policy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: "*", Action: "*", Resource: "*" }],
    });
  else if (variant === 10)
    forProvider.policy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: ["s3:*"], Resource: ["*"] }],
    });
  else if (variant !== 0) forProvider.policy = JSON.stringify(scopedEndpointPolicy(i));
  return {
    apiVersion: "ec2.aws.upbound.io/v1beta2",
    kind: "VPCEndpoint",
    metadata: { name: `s3-gw-${i}`, annotations: { "crossplane.io/external-name": vpce(i) } },
    spec: { forProvider },
    // As exported from a cluster: Upjet keeps route tables out of spec (association kinds) and reports them here.
    status: { atProvider: { id: vpce(i), routeTableIds: [`rtb-${hex(i, 17)}`] } },
  };
}

/**
 * Bucket policy i: the guide's "deny unless through my endpoint". Every 10th (residue 3) adds a
 * Deny + NotIpAddress aws:SourceIp; residues 7 and 17 of 20 name the endpoint by its ARN
 * (17 with the lower-case key spelling aws:sourceVpce).
 */
export function upjetBucketPolicy(i) {
  const region = regionOf(i);
  const bucket = `bench-bucket-${i}`;
  const document = denyUnlessEndpoint(bucket, vpce(i));
  const statement = document.Statement[0];
  if (i % 20 === 7)
    statement.Condition = { StringNotEquals: { "aws:SourceVpce": `arn:aws:ec2:${region}:123456789012:vpc-endpoint/${vpce(i)}` } };
  if (i % 20 === 17)
    statement.Condition = { StringNotEquals: { "aws:sourceVpce": [`arn:aws:ec2:${region}:123456789012:vpc-endpoint/${vpce(i)}`] } };
  if (i % 10 === 3)
    document.Statement.push({
      Sid: "OfficeOnly",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: `arn:aws:s3:::${bucket}/*`,
      Condition: { NotIpAddress: { "aws:SourceIp": "203.0.113.0/24" } },
    });
  return {
    apiVersion: "s3.aws.upbound.io/v1beta1",
    kind: "BucketPolicy",
    metadata: { name: `bench-bucket-${i}-policy` },
    spec: { forProvider: { region, bucket, policy: JSON.stringify(document) } },
  };
}

/** The (rule, Kind/name) pairs every engine must report for `resources` resources. */
export function expectedFindings(resources) {
  const found = new Set();
  for (let i = 0; i < resources / 2; i++) {
    if (i % 20 === 0 || i % 20 === 5 || i % 20 === 10) found.add(`endpoint-full-access VPCEndpoint/s3-gw-${i}`);
    if (i % 10 === 3) found.add(`source-ip-condition BucketPolicy/bench-bucket-${i}-policy`);
    if (i % 20 === 7 || i % 20 === 17) found.add(`vpce-condition-value BucketPolicy/bench-bucket-${i}-policy`);
  }
  return found;
}

/**
 * Writes `resources` resources (half endpoints, half bucket policies) into `files` YAML files under
 * dir/yaml/ and all of them as one JSON document {"resources": [...]} in dir/input.json (opa's input).
 */
export function writeCorpus(dir, resources, files = FILES) {
  mkdirSync(join(dir, "yaml"), { recursive: true });
  const all = [];
  for (let f = 0; f < files; f++) {
    const docs = [];
    for (let i = f; i < resources / 2; i += files) {
      const pair = [upjetEndpoint(i), upjetBucketPolicy(i)];
      all.push(...pair);
      docs.push(...pair.map((doc) => stringify(doc)));
    }
    writeFileSync(join(dir, "yaml", `corpus-${f}.yaml`), docs.join("---\n"));
  }
  writeFileSync(join(dir, "input.json"), JSON.stringify({ resources: all }));
}
