/**
 * Differential tests: our evaluator against @cloud-copilot/iam-simulate (AGPL; used here as a
 * test oracle only, never imported from src/) on generated well-formed bucket policies.
 *
 * Setup that makes the simulator's answer depend on the resource policy alone: the requester
 * is an IAM user in the bucket's own account and has no identity policies, so (same-account
 * rule) a resource-policy Allow that names the user, or "*", is enough to allow, and there
 * are no SCPs/RCPs beyond the default full-access RCP.
 */
import { runSimulation, type Simulation } from "@cloud-copilot/iam-simulate";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { evaluatePolicy, type Decision } from "../../src/core/iam/index.js";
import { ACCOUNT, policyArbitrary, REQUESTER, requestArbitrary, type GeneratedRequest, type JsonPolicy } from "./arbitraries.js";
import { documentOf } from "./helpers.js";
import { GUIDE } from "../helpers/manifests.js";
import { fuzzSettings } from "../helpers/fuzz.js";

const ORACLE_DECISIONS: Readonly<Record<string, Decision>> = {
  Allowed: "Allow",
  ExplicitlyDenied: "ExplicitDeny",
  ImplicitlyDenied: "ImplicitDeny",
};

async function oracleDecision(policy: JsonPolicy, request: GeneratedRequest): Promise<Decision> {
  const simulation: Simulation = {
    request: {
      principal: REQUESTER,
      action: request.action,
      resource: { resource: request.resource, accountId: ACCOUNT },
      contextVariables: request.context,
    },
    identityPolicies: [],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: policy,
  };
  const result = await runSimulation(simulation, {});
  if (result.resultType !== "single") throw new Error(`simulator refused the input: ${JSON.stringify(result)}`);
  const decision = ORACLE_DECISIONS[result.overallResult];
  if (!decision) throw new Error(`unexpected simulator result ${String(result.overallResult)}`);
  return decision;
}

function ourDecision(policy: JsonPolicy, request: GeneratedRequest): Decision {
  return evaluatePolicy({ ...request, principal: { type: "AWS", id: REQUESTER } }, documentOf(policy)).decision;
}

describe("differential: iam-simulate agrees on generated bucket policies", () => {
  it("gives the same Allow / ExplicitDeny / ImplicitDeny", async () => {
    await fc.assert(
      fc.asyncProperty(policyArbitrary, requestArbitrary, async (policy, request) => {
        expect(ourDecision(policy, request)).toBe(await oracleDecision(policy, request));
      }),
      fuzzSettings(4_242, 300),
    );
  });

  it("agrees on the guide's endpoint-restricted bucket policy", async () => {
    const policy: JsonPolicy = {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::my_secure_bucket", "arn:aws:s3:::my_secure_bucket/*"] },
        ...GUIDE.specificEndpoint.Statement,
      ],
    };
    const contexts: Record<string, string>[] = [{ "aws:SourceVpce": "vpce-1a2b3c4d" }, { "aws:SourceVpce": "vpce-99999999" }, {}];
    for (const context of contexts) {
      const request = { action: "s3:GetObject", resource: "arn:aws:s3:::my_secure_bucket/k", context };
      expect(ourDecision(policy, request)).toBe(await oracleDecision(policy, request));
    }
  });
});
