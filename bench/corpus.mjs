// @ts-check
// Shared by the benchmarks: generated manifests in the real CRD shapes and the guide's policy.
/** @type {(n: number, width: number) => string} */
export const hex = (n, width) => n.toString(16).padStart(width, "0");
/** @type {(i: number) => string} */
export const vpce = (i) => `vpce-${hex(i, 17)}`;
/** @type {(i: number) => string} */
export const regionOf = (i) => (i % 3 === 0 ? "eu-west-1" : "us-east-1");

/**
 * The guide's bucket policy: deny everything unless the request comes through one endpoint.
 * @param {string} bucket
 * @param {string} id
 * @returns {{ Version: string; Statement: Array<Record<string, unknown>> }}
 */
export const denyUnlessEndpoint = (bucket, id) => ({
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "DenyUnlessEndpoint",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
      Condition: { StringNotEquals: { "aws:SourceVpce": id } },
    },
  ],
});

/**
 * A community S3 Gateway endpoint i, its policy granting bench-bucket-i.
 * @param {number} i
 */
export function endpointManifest(i) {
  const region = regionOf(i);
  return {
    apiVersion: "ec2.aws.crossplane.io/v1alpha1",
    kind: "VPCEndpoint",
    metadata: { name: `s3-gw-${i}`, annotations: { "crossplane.io/external-name": vpce(i) } },
    spec: {
      forProvider: {
        region,
        serviceName: `com.amazonaws.${region}.s3`,
        vpcId: `vpc-${hex(i, 17)}`,
        routeTableIds: [`rtb-${hex(i, 17)}`],
        policyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: "*",
              Action: ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
              Resource: [`arn:aws:s3:::bench-bucket-${i}`, `arn:aws:s3:::bench-bucket-${i}/*`],
            },
          ],
        }),
      },
    },
  };
}

/**
 * Adds a read grant per team prefix to `document` until its JSON text reaches `bytes`
 * characters: the policy sizes platforms write (2–20 KB). Returns `document`.
 * @template {{ Statement: unknown[] }} D
 * @param {D} document
 * @param {string} bucket
 * @param {number} bytes
 * @param {Record<string, unknown>} [condition] each grant's Condition, if any
 * @returns {D}
 */
export function growWithGrants(document, bucket, bytes, condition) {
  for (let j = 0; JSON.stringify(document).length < bytes; j++)
    document.Statement.push({
      Sid: `ReadPrefix${j}`,
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::123456789012:role/reader-${j}` },
      Action: ["s3:GetObject", "s3:GetObjectVersion"],
      Resource: `arn:aws:s3:::${bucket}/team-${j}/*`,
      ...(condition ? { Condition: condition } : {}),
    });
  return document;
}
