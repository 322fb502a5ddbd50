import { describeRequest } from "../iam/symbolic.js";
import { describeRef, policyPath } from "../model/refs.js";
import { consumerNeedsFullAccess } from "./consumers.js";
import { ENDPOINT_POLICY_PATH } from "./endpoint-fields.js";
import { isS3Endpoint } from "./policy-views.js";
import { askRemembered, endpointKeys, identityOf } from "./questions.js";
import { partitionOf } from "./consumers.js";
import type { Rule, RuleFinding } from "./rule.js";

const RULE = "endpoint-full-access";
/** Reading and writing objects: the least that "full access" means here. */
const READ_WRITE = ["s3:GetObject", "s3:PutObject"];

/**
 * Guide, first bullet and "Restricting access to a specific bucket": the default endpoint
 * policy lets any credentials from any account reach any bucket, other accounts' included.
 * A written policy is judged by what it allows, not by how it is spelled: it is full access
 * when every AWS principal of every account may read and write every object of every bucket
 * through the endpoint, whatever the other keys of the request are.
 */
export const endpointFullAccess: Rule = {
  id: RULE,
  defaultAction: "warn",
  guide: "Endpoints for Amazon S3 (first note: the default endpoint policy); Restricting access to a specific bucket",
  description: "S3 endpoint with the default policy, or a policy that lets any principal of any account read and write any bucket.",
  appliesTo: ["Endpoint"],
  check(subject, ctx) {
    if (!isS3Endpoint(subject)) return [];
    const fullAccessConsumer = consumerNeedsFullAccess(subject, ctx);
    const cap = fullAccessConsumer ? ({ cap: "audit" } as const) : {};
    const because = fullAccessConsumer
      ? ` (expected: ${fullAccessConsumer.id}, declared in ${fullAccessConsumer.source}, needs full S3 access)`
      : "";
    const fix =
      "Attach an endpoint policy that allows only the buckets this VPC uses (both arn:aws:s3:::bucket and arn:aws:s3:::bucket/*) and the actions it needs.";
    if (!subject.policy) {
      const where = ENDPOINT_POLICY_PATH[subject.family];
      return [
        {
          message: `${describeRef(subject.ref)}: no endpoint policy (${where} is unset), so AWS applies the default policy: any credentials from any account can reach any S3 bucket through this endpoint${because}.`,
          fix,
          path: where,
          ...cap,
        },
      ];
    }
    const doc = subject.policy.document;
    if (!doc) return [];
    const head = `arn:${partitionOf(subject.region?.value ?? "us-east-1")}:s3:::`;
    const keys = endpointKeys(subject, ctx);
    const { verdict, witnesses } = askRemembered(
      RULE,
      ctx,
      `${identityOf(doc)}|${head}|${JSON.stringify(keys)}`,
      () => ({
        layers: [[doc]],
        space: {
          actions: READ_WRITE,
          resources: [{ prefix: head, free: true, level: "object" }],
          keys,
          principalKinds: ["AWS"],
        },
        classify: (d) => (d[0] === "Allow" ? "allowed" : "refused"),
        // One refused request refutes "full access"; only "always allowed" needs the whole space.
        enough: (found) => found.has("refused"),
      }),
      "allowed",
    );
    if (verdict !== "always") return [];
    const witness = witnesses.get("allowed")!;
    const granting = witness.evaluations[0]!.matched.filter((m) => m.effect === "Allow");
    const path = policyPath(subject.policy, granting[0]?.path ?? "");
    const findings: RuleFinding[] = [
      {
        message: `${describeRef(subject.ref)}: ${path} lets any principal of any account read and write every bucket through this endpoint, whatever else the request carries (e.g. ${describeRequest(witness.request, ["aws:SourceIp", "aws:SourceVpce", "aws:SourceVpc"])} is allowed): credentials from any account can reach any bucket, including other accounts' buckets${because}.`,
        fix,
        path,
        ...cap,
      },
    ];
    return findings;
  },
};
