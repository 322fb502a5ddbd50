/**
 * Principal matching for resource-based and endpoint policies.
 *
 * With a request principal:
 * - `"*"` matches everyone, anonymous callers included.
 * - An AWS entry that is an account id (`123456789012`) or that account's root ARN
 *   (`arn:aws:iam::123456789012:root`; IAM treats both alike) matches every principal ARN
 *   in that account and the account id itself.
 * - Any other AWS entry matches the same ARN exactly; a role ARN also matches that role's
 *   sessions (`arn:aws:sts::<account>:assumed-role/<role>/<session>`).
 * - A Service entry matches the same service principal (case-insensitive).
 * - Federated and CanonicalUser entries never match: requests here cannot carry them.
 * - An anonymous caller is matched only by `"*"`.
 *
 * Without a request principal the question is "may SOME principal do this?":
 * - an Allow statement's Principal/NotPrincipal counts as matching (it names someone);
 * - a Deny statement's Principal applies only when it is `"*"` (it then covers everyone);
 * - a Deny statement's NotPrincipal never applies (somebody is always excluded).
 *
 * A statement with neither Principal nor NotPrincipal (allowed in endpoint policies) applies
 * to everyone.
 */

import { parseArn } from "./arn.js";
import type { Effect, Principal, RequestPrincipal, Statement } from "./types.js";

const ACCOUNT_ID = /^\d{12}$/;

export function statementPrincipalMatches(
  statement: Pick<Statement, "effect" | "principal" | "notPrincipal">,
  requester: RequestPrincipal | undefined,
): boolean {
  const { principal, notPrincipal, effect } = statement;
  if (principal === undefined && notPrincipal === undefined) return true;
  if (requester === undefined) return somePrincipalMatches(effect, principal, notPrincipal);
  if (principal !== undefined && !principalMatches(principal, requester)) return false;
  if (notPrincipal !== undefined && principalMatches(notPrincipal, requester)) return false;
  return true;
}

function somePrincipalMatches(effect: Effect, principal: Principal | undefined, notPrincipal: Principal | undefined): boolean {
  if (effect === "Allow") return true;
  if (notPrincipal !== undefined) return false;
  return principal === "*";
}

export function principalMatches(principal: Principal, requester: RequestPrincipal): boolean {
  if (principal === "*") return true;
  switch (requester.type) {
    case "Anonymous":
      return false;
    case "Service": {
      const wanted = requester.id.toLowerCase();
      return (principal.Service ?? []).some((service) => service === "*" || service.toLowerCase() === wanted);
    }
    case "AWS":
      return (principal.AWS ?? []).some((entry) => awsEntryMatches(entry, requester.id));
  }
}

/** The account an AWS principal entry stands for when it names a whole account. */
export function accountOfEntry(entry: string): string | undefined {
  if (ACCOUNT_ID.test(entry)) return entry;
  const arn = parseArn(entry);
  if (arn && arn.service === "iam" && arn.resource === "root" && ACCOUNT_ID.test(arn.account)) return arn.account;
  return undefined;
}

function awsEntryMatches(entry: string, requesterId: string): boolean {
  if (entry === "*" || entry === requesterId) return true;
  const account = accountOfEntry(entry);
  if (account !== undefined) return accountOfRequester(requesterId) === account;
  return roleSessionMatches(entry, requesterId);
}

function accountOfRequester(requesterId: string): string | undefined {
  if (ACCOUNT_ID.test(requesterId)) return requesterId;
  return parseArn(requesterId)?.account;
}

/** `arn:aws:iam::1:role/path/Name` covers `arn:aws:sts::1:assumed-role/Name/session`. */
function roleSessionMatches(entry: string, requesterId: string): boolean {
  const role = parseArn(entry);
  const session = parseArn(requesterId);
  if (!role || !session || role.service !== "iam" || session.service !== "sts") return false;
  if (role.partition !== session.partition || role.account !== session.account) return false;
  if (!role.resource.startsWith("role/") || !session.resource.startsWith("assumed-role/")) return false;
  const roleName = role.resource.slice(role.resource.lastIndexOf("/") + 1);
  const sessionRoleName = session.resource.split("/")[1];
  return roleName === sessionRoleName;
}
