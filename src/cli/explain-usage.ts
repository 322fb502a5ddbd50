/** `explain`'s usage and flags, apart from the command so that `--help` loads nothing else. */

export const EXPLAIN_USAGE = `  s3-vpce-guard explain --bucket NAME [--endpoint ID|NAMESPACE/NAME | --vpc ID] [--action ACTION ...]
                        [--key KEY] [--principal ARN] [--identity-policy FILE] [--output text|json]
                        (PATH ... | --cluster)
      Why a request to a bucket through an S3 endpoint is allowed or denied: the decision of the
      endpoint policy, the bucket policy and (when given) the identity policy, with the deciding
      statements and the smallest change that would allow a denied request.
`;

export const EXPLAIN_HELP = `Flags:
  -b, --bucket NAME           the S3 bucket name (required)
  -e, --endpoint ID|NS/NAME   one endpoint (vpce-… id, or the VPCEndpoint object's NAMESPACE/NAME or NAME);
                              default: every S3 endpoint of the bucket's Region in the inputs
      --vpc ID                the S3 endpoints of one VPC
  -a, --action ACTION         an S3 action, repeatable (default: the probe actions, s3:GetObject,
                              s3:PutObject, s3:ListBucket, or those of --config)
  -k, --key KEY               one object key (default: any key of the bucket)
  -p, --principal ARN         the caller (a role ARN); its policies are read from IAM Role/Policy/
                              RolePolicy/RolePolicyAttachment manifests (Upjet, ACK) in the inputs
  -i, --identity-policy FILE  the caller's identity policy as a JSON file (repeatable)
  -c, --config FILE           defaults (Region, probe actions) as for check
  -o, --output FORMAT         text (default) or json (README "explain" documents the shape)
      --cluster               also read the endpoints, buckets and bucket policies of the
                              kubeconfig context's cluster (read-only) and, with --principal,
                              its IAM Roles, Policies, RolePolicies and RolePolicyAttachments
      --context NAME          kubeconfig context for --cluster

Examples:
  s3-vpce-guard explain --bucket acme-payments-data examples/explain/
  s3-vpce-guard explain --bucket acme-payments-data --action s3:PutObject --key reports/q1.csv \\
      --principal arn:aws:iam::111122223333:role/payments-app examples/explain/
  s3-vpce-guard explain --bucket acme-payments-data --endpoint vpce-0a1b2c3d4e5f67890 \\
      --identity-policy app-policy.json --output json manifests/
  s3-vpce-guard explain --bucket acme-payments-data --cluster --context prod

Exit codes: 0 every asked action is allowed (possibly under the conditions shown) on some path;
1 otherwise; 2 bad input (no such endpoint or VPC, unreadable files or policies, bad flags).
`;

export const EXPLAIN_OPTIONS = {
  bucket: { type: "string", short: "b" },
  endpoint: { type: "string", short: "e" },
  vpc: { type: "string" },
  action: { type: "string", short: "a", multiple: true },
  key: { type: "string", short: "k" },
  principal: { type: "string", short: "p" },
  "identity-policy": { type: "string", short: "i", multiple: true },
  config: { type: "string", short: "c" },
  output: { type: "string", short: "o", default: "text" },
  cluster: { type: "boolean", default: false },
  context: { type: "string" },
} as const;

export const MAP_USAGE = `  s3-vpce-guard map [--output html|svg|dot|mermaid] [--action ACTION ...] (PATH ... | --cluster)
      Draw VPCs → S3 endpoints (with their route tables) → buckets, each edge by what of the
      probe actions gets through (all / some / none / unknown), each object with its findings,
      as a self-contained HTML page, an SVG, Graphviz DOT or Mermaid.
`;

export const MAP_HELP = `Flags:
  -o, --output FORMAT   dot (default), mermaid, html (one self-contained page: hover or click for
                        the deciding statements) or svg
  -a, --action ACTION   a probe action, repeatable (default: the probe actions of --config)
      --fold N          html/svg: in each namespace, buckets reached the same way beyond the first N
                        are drawn as one "+K buckets" node (default 5; 0: never fold)
      --max-nodes N     html/svg: nodes drawn at most (default 800); the rest is counted
  -c, --config FILE     defaults (Region, probe actions) as for check
      --cluster         also read the cluster of the kubeconfig context (read-only)
      --context NAME    kubeconfig context for --cluster

Examples:
  s3-vpce-guard map --output html examples/explain/ > map.html
  s3-vpce-guard map examples/explain/ | dot -Tsvg > map.svg
  s3-vpce-guard map --output mermaid manifests/ > map.mmd

Exit codes: 0 drawn; 2 bad input (unreadable files, bad flags).
`;

export const MAP_OPTIONS = {
  output: { type: "string", short: "o", default: "dot" },
  fold: { type: "string" },
  "max-nodes": { type: "string" },
  action: { type: "string", short: "a", multiple: true },
  config: { type: "string", short: "c" },
  cluster: { type: "boolean", default: false },
  context: { type: "string" },
} as const;
