/**
 * Condition operators: reading an operator name, checking policy values, and compiling a
 * Condition into a predicate over the request's values for its key.
 *
 * Operator names are recognised case-insensitively (`stringequals` works): AWS documents
 * only key names as case-insensitive, but its evaluator and common tooling accept any case,
 * so we read them that way and the parser adds a warning asking for the documented spelling.
 */

import { arnMatches } from "./arn.js";
import { addressInCidr, parseCidr, parseIp, type Cidr } from "./ip.js";
import type { Condition, ConditionOperator, SetOperator } from "./types.js";
import { compileWildcard, hasWildcard, unescapePolicyVariables } from "./wildcard.js";

export const CONDITION_OPERATORS: readonly ConditionOperator[] = [
  "StringEquals",
  "StringNotEquals",
  "StringEqualsIgnoreCase",
  "StringNotEqualsIgnoreCase",
  "StringLike",
  "StringNotLike",
  "NumericEquals",
  "NumericNotEquals",
  "NumericLessThan",
  "NumericLessThanEquals",
  "NumericGreaterThan",
  "NumericGreaterThanEquals",
  "DateEquals",
  "DateNotEquals",
  "DateLessThan",
  "DateLessThanEquals",
  "DateGreaterThan",
  "DateGreaterThanEquals",
  "Bool",
  "BinaryEquals",
  "IpAddress",
  "NotIpAddress",
  "ArnEquals",
  "ArnLike",
  "ArnNotEquals",
  "ArnNotLike",
  "Null",
];

/** Negated operators match when the key is absent (IAM: "the condition is true"). */
const NEGATED_TO_POSITIVE: Partial<Record<ConditionOperator, ConditionOperator>> = {
  StringNotEquals: "StringEquals",
  StringNotEqualsIgnoreCase: "StringEqualsIgnoreCase",
  StringNotLike: "StringLike",
  NumericNotEquals: "NumericEquals",
  DateNotEquals: "DateEquals",
  NotIpAddress: "IpAddress",
  ArnNotEquals: "ArnEquals",
  ArnNotLike: "ArnLike",
};

const operatorsByLowerName = new Map(CONDITION_OPERATORS.map((operator) => [operator.toLowerCase(), operator]));
const SET_OPERATORS: readonly SetOperator[] = ["ForAnyValue", "ForAllValues"];

export function isNegatedOperator(operator: ConditionOperator): boolean {
  return NEGATED_TO_POSITIVE[operator] !== undefined;
}

export interface ParsedOperator {
  baseOperator: ConditionOperator | undefined;
  setOperator: SetOperator | undefined;
  ifExists: boolean;
  /** The documented spelling, e.g. "ForAnyValue:StringLikeIfExists"; undefined when unknown. */
  canonical: string | undefined;
  /** Why the name cannot be used, with the fix; undefined when it is fine. */
  problem: string | undefined;
}

export function parseConditionOperator(name: string): ParsedOperator {
  let rest = name;
  let setOperator: SetOperator | undefined;
  const colon = rest.indexOf(":");
  if (colon >= 0) {
    const prefix = rest.slice(0, colon).toLowerCase();
    setOperator = SET_OPERATORS.find((candidate) => candidate.toLowerCase() === prefix);
    if (!setOperator) {
      return unknownOperator(name, `"${rest.slice(0, colon)}:" is not a set operator; write ForAnyValue: or ForAllValues:`);
    }
    rest = rest.slice(colon + 1);
  }
  let baseOperator = operatorsByLowerName.get(rest.toLowerCase());
  let ifExists = false;
  if (!baseOperator && rest.toLowerCase().endsWith("ifexists")) {
    baseOperator = operatorsByLowerName.get(rest.slice(0, -"IfExists".length).toLowerCase());
    ifExists = baseOperator !== undefined;
  }
  if (!baseOperator) {
    return unknownOperator(
      name,
      `unknown condition operator "${name}"; use one of ${CONDITION_OPERATORS.join(", ")} (optionally with ForAnyValue:/ForAllValues: and IfExists)`,
    );
  }
  if (baseOperator === "Null" && ifExists) {
    return {
      baseOperator: undefined,
      setOperator,
      ifExists,
      canonical: undefined,
      problem: `"${name}" is not allowed: Null already tests whether the key exists; write Null`,
    };
  }
  const canonical = `${setOperator ? `${setOperator}:` : ""}${baseOperator}${ifExists ? "IfExists" : ""}`;
  return { baseOperator, setOperator, ifExists, canonical, problem: undefined };
}

function unknownOperator(_name: string, problem: string): ParsedOperator {
  return { baseOperator: undefined, setOperator: undefined, ifExists: false, canonical: undefined, problem };
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const EPOCH_SECONDS = /^-?\d+(?:\.\d+)?$/;
const ISO_DATE = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

export function parseNumber(text: string): number | undefined {
  const trimmed = text.trim();
  return NUMBER.test(trimmed) ? Number(trimmed) : undefined;
}

/** ISO-8601 (date, date-time, with or without zone; no zone means UTC) or epoch seconds → ms. */
export function parseDate(text: string): number | undefined {
  const trimmed = text.trim();
  if (EPOCH_SECONDS.test(trimmed)) return Number(trimmed) * 1000;
  const match = ISO_DATE.exec(trimmed);
  if (!match) return undefined;
  const [, date, time, zone] = match;
  if (time === undefined) return checked(Date.parse(`${date}T00:00:00Z`));
  const offset = zone === undefined || zone.toUpperCase() === "Z" ? "Z" : normaliseOffset(zone);
  return checked(Date.parse(`${date}T${time}${offset}`));
}

function normaliseOffset(zone: string): string {
  const digits = zone.slice(1).replace(":", "");
  const hours = digits.slice(0, 2);
  const minutes = digits.slice(2, 4) || "00";
  return `${zone[0]}${hours}:${minutes}`;
}

function checked(milliseconds: number): number | undefined {
  return Number.isNaN(milliseconds) ? undefined : milliseconds;
}

/** What is wrong with one policy value for this operator (with the fix), or undefined. */
export function conditionValueProblem(operator: ConditionOperator, value: string): string | undefined {
  switch (operator) {
    case "IpAddress":
    case "NotIpAddress":
      return parseCidr(value)
        ? undefined
        : `"${value}" is not an IPv4/IPv6 address or CIDR block; write e.g. "203.0.113.0/24" or "2001:db8::/32"`;
    case "NumericEquals":
    case "NumericNotEquals":
    case "NumericLessThan":
    case "NumericLessThanEquals":
    case "NumericGreaterThan":
    case "NumericGreaterThanEquals":
      return parseNumber(value) !== undefined ? undefined : `"${value}" is not a number; ${operator} needs a number such as 10 or "2.5"`;
    case "DateEquals":
    case "DateNotEquals":
    case "DateLessThan":
    case "DateLessThanEquals":
    case "DateGreaterThan":
    case "DateGreaterThanEquals":
      return parseDate(value) !== undefined
        ? undefined
        : `"${value}" is not a date; write ISO-8601 such as "2025-01-31T12:00:00Z" or epoch seconds such as "1738324800"`;
    case "Bool":
    case "Null": {
      const lower = value.toLowerCase();
      return lower === "true" || lower === "false" ? undefined : `"${value}" is not a boolean; ${operator} takes "true" or "false"`;
    }
    default:
      return undefined;
  }
}

/** The request's values for the condition's key: undefined (or empty) when the key is absent. */
export type RequestValues = readonly string[] | undefined;
export type ConditionTest = (values: RequestValues) => boolean;
type ValueTest = (requestValue: string) => boolean;

/**
 * Compiles a (valid) condition into a test of the request values for its key.
 * Per request value, a positive operator matches when any policy value matches; a negated one
 * when none does. Then: plain operators need one matching request value (negated: all),
 * ForAnyValue one (absent key → false), ForAllValues all (absent key → true),
 * …IfExists is true when the key is absent, Null "true" means the key must be absent.
 */
export function compileCondition(condition: Pick<Condition, "baseOperator" | "setOperator" | "ifExists" | "values">): ConditionTest {
  const { baseOperator, setOperator, ifExists, values } = condition;
  if (baseOperator === undefined) return () => false;
  if (baseOperator === "Null") return compileNull(values);
  const negated = isNegatedOperator(baseOperator);
  const positive = positiveTest(NEGATED_TO_POSITIVE[baseOperator] ?? baseOperator, values);
  const valueTest: ValueTest = negated ? (value) => !positive(value) : positive;
  return (requestValues) => {
    if (requestValues === undefined || requestValues.length === 0) {
      if (ifExists || setOperator === "ForAllValues") return true;
      if (setOperator === "ForAnyValue") return false;
      return negated;
    }
    if (setOperator === "ForAllValues") return requestValues.every(valueTest);
    if (setOperator === "ForAnyValue") return requestValues.some(valueTest);
    return negated ? requestValues.every(valueTest) : requestValues.some(valueTest);
  };
}

function compileNull(values: readonly string[]): ConditionTest {
  const wantsAbsent = values.some((value) => value.toLowerCase() === "true");
  const wantsPresent = values.some((value) => value.toLowerCase() === "false");
  return (requestValues) => {
    const present = requestValues !== undefined && requestValues.length > 0;
    return (wantsAbsent && !present) || (wantsPresent && present);
  };
}

/** "Does this request value match any policy value?" for a positive operator. */
function positiveTest(operator: ConditionOperator, values: readonly string[]): ValueTest {
  switch (operator) {
    case "StringEquals": {
      const accepted = new Set(values.map(unescapePolicyVariables));
      return (value) => accepted.has(value);
    }
    case "StringEqualsIgnoreCase": {
      const accepted = new Set(values.map((value) => unescapePolicyVariables(value).toLowerCase()));
      return (value) => accepted.has(value.toLowerCase());
    }
    case "StringLike":
      return anyOf(values.map((pattern) => likeTest(pattern)));
    case "BinaryEquals": {
      const accepted = new Set(values);
      return (value) => accepted.has(value);
    }
    case "Bool": {
      const accepted = new Set(values.map((value) => value.toLowerCase()));
      return (value) => accepted.has(value.toLowerCase());
    }
    case "NumericEquals":
    case "NumericLessThan":
    case "NumericLessThanEquals":
    case "NumericGreaterThan":
    case "NumericGreaterThanEquals":
      return orderedTest(operator, values, parseNumber);
    case "DateEquals":
    case "DateLessThan":
    case "DateLessThanEquals":
    case "DateGreaterThan":
    case "DateGreaterThanEquals":
      return orderedTest(operator, values, parseDate);
    case "IpAddress": {
      const blocks = values.map(parseCidr).filter((block): block is Cidr => block !== undefined);
      // The same request address is often tested again (symbolic search): remember the last one.
      let lastText: string | undefined;
      let lastAddress: ReturnType<typeof parseIp>;
      return (value) => {
        if (value !== lastText) {
          lastText = value;
          lastAddress = parseIp(value);
        }
        const address = lastAddress;
        return address !== undefined && blocks.some((block) => addressInCidr(address, block));
      };
    }
    case "ArnEquals":
    case "ArnLike":
      // IAM documents ArnEquals and ArnLike identically: segment-wise, wildcards allowed.
      return (value) => values.some((pattern) => arnMatches(pattern, value));
    default:
      return () => false;
  }
}

function likeTest(pattern: string): ValueTest {
  if (!hasWildcard(pattern)) return (value) => value === pattern;
  const regex = compileWildcard(pattern);
  return (value) => regex.test(value);
}

function anyOf(tests: ValueTest[]): ValueTest {
  if (tests.length === 1) return tests[0] as ValueTest;
  return (value) => tests.some((test) => test(value));
}

type Comparison = (request: number, policy: number) => boolean;
const COMPARISONS: Readonly<Record<string, Comparison>> = {
  Equals: (request, policy) => request === policy,
  LessThan: (request, policy) => request < policy,
  LessThanEquals: (request, policy) => request <= policy,
  GreaterThan: (request, policy) => request > policy,
  GreaterThanEquals: (request, policy) => request >= policy,
};

function orderedTest(operator: ConditionOperator, values: readonly string[], read: (text: string) => number | undefined): ValueTest {
  const comparison = COMPARISONS[operator.replace(/^(Numeric|Date)/, "")] as Comparison;
  const policyNumbers = values.map(read).filter((number): number is number => number !== undefined);
  return (value) => {
    const requestNumber = read(value);
    return requestNumber !== undefined && policyNumbers.some((policyNumber) => comparison(requestNumber, policyNumber));
  };
}
