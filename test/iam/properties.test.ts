import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { locateJsonError } from "../../src/core/iam/json-error.js";
import {
  actionMatches,
  arnMatches,
  escapeWildcard,
  evaluatePolicy,
  matchesWildcard,
  parsePolicy,
  serializePolicy,
} from "../../src/core/iam/index.js";
import { policyArbitrary, REQUESTER, requestArbitrary, statementArbitrary, type JsonStatement } from "./arbitraries.js";
import { documentOf } from "./helpers.js";
import { fuzzSettings } from "../helpers/fuzz.js";

const SETTINGS = fuzzSettings(20_251_117, 300);

describe("evaluation properties", () => {
  it("a matching explicit Deny always wins over any Allow", () => {
    fc.assert(
      fc.property(policyArbitrary, requestArbitrary, fc.boolean(), (policy, request, withPrincipal) => {
        const evaluation = evaluatePolicy(
          { ...request, principal: withPrincipal ? { type: "AWS", id: REQUESTER } : undefined },
          documentOf(policy),
        );
        const denyMatched = evaluation.matched.some((statement) => statement.effect === "Deny");
        const allowMatched = evaluation.matched.some((statement) => statement.effect === "Allow");
        expect(evaluation.decision).toBe(denyMatched ? "ExplicitDeny" : allowMatched ? "Allow" : "ImplicitDeny");
      }),
      SETTINGS,
    );
  });

  it("adding a Deny that covers the request makes any policy deny it", () => {
    fc.assert(
      fc.property(
        fc.array(statementArbitrary, { minLength: 1, maxLength: 4 }),
        requestArbitrary,
        fc.nat(),
        (statements, request, position) => {
          const deny: JsonStatement = { Effect: "Deny", Principal: "*", Action: request.action, Resource: request.resource };
          const withDeny = [...statements];
          withDeny.splice(position % (statements.length + 1), 0, deny);
          const policy = documentOf({ Version: "2012-10-17", Statement: withDeny });
          expect(evaluatePolicy(request, policy).decision).toBe("ExplicitDeny");
        },
      ),
      SETTINGS,
    );
  });
});

describe("parse and serialise", () => {
  it("parse → serialise → parse gives the same document", () => {
    fc.assert(
      fc.property(policyArbitrary, (policy) => {
        const first = parsePolicy(policy, "bucket");
        expect(first.issues).toEqual([]);
        const second = parsePolicy(serializePolicy(first.document!), "bucket");
        expect(second.issues).toEqual([]);
        expect(second.document).toEqual(first.document);
      }),
      SETTINGS,
    );
  });

  it("a policy reads the same as a JSON string and as an object", () => {
    fc.assert(
      fc.property(policyArbitrary, (policy) => {
        expect(parsePolicy(JSON.stringify(policy, null, 2), "endpoint")).toEqual(parsePolicy(policy, "endpoint"));
      }),
      SETTINGS,
    );
  });

  it("never throws on garbage, and always explains an unusable input", () => {
    const policyShaped = fc.record(
      {
        Version: fc.anything(),
        Statement: fc.oneof(
          fc.anything(),
          fc.array(fc.dictionary(fc.constantFrom("Effect", "Principal", "Action", "Resource", "Condition", "NotAction"), fc.anything())),
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.string(),
          fc.json(),
          policyShaped,
          policyShaped.map((value) => JSON.stringify(value)),
        ),
        (input) => {
          const parsed = parsePolicy(input, "bucket");
          if (parsed.document === undefined) expect(parsed.issues.some((issue) => issue.severity === "error")).toBe(true);
        },
      ),
      fuzzSettings(20_251_117, 1000),
    );
  });
});

describe("wildcard properties", () => {
  const tricky = fc.string({ unit: fc.constantFrom("a", "b", "*", "?", "$", "{", "}", ".", "\\", "\n", "é", "😀") });

  it('"*" matches every string, action and ARN', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), tricky), (value) => {
        expect(matchesWildcard("*", value)).toBe(true);
        expect(actionMatches("*", value)).toBe(true);
        expect(arnMatches("*", value)).toBe(true);
      }),
      SETTINGS,
    );
  });

  it("an escaped literal matches exactly the literal", () => {
    fc.assert(
      fc.property(tricky, tricky, (literal, other) => {
        expect(matchesWildcard(escapeWildcard(literal), literal)).toBe(true);
        expect(matchesWildcard(escapeWildcard(literal), other)).toBe(literal === other);
      }),
      SETTINGS,
    );
  });

  it("a pattern matches itself when it has no wildcard characters", () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        fc.pre(!/[*?$]/.test(value));
        expect(matchesWildcard(value, value)).toBe(true);
        expect(matchesWildcard(value, `${value}x`)).toBe(false);
      }),
      SETTINGS,
    );
  });
});

describe("JSON error location", () => {
  const jsonish = fc.string({
    unit: fc.constantFrom("{", "}", "[", "]", '"', ":", ",", " ", "\n", "1", "-", ".", "e", "t", "true", "null", "\\", "\\u00e9", "a"),
  });

  it("finds an error exactly when JSON.parse rejects the text", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          jsonish,
          fc.json(),
          fc.json().map((text) => text.slice(0, -1)),
        ),
        (text) => {
          let valid = true;
          try {
            JSON.parse(text);
          } catch {
            valid = false;
          }
          expect(locateJsonError(text) === undefined).toBe(valid);
        },
      ),
      fuzzSettings(20_251_117, 1000),
    );
  });
});
