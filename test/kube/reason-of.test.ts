// reasonOf: the one-line reason every kube API failure is logged with. A 403 must name the
// user, the verb and the resource (the API server's message) and say how to fix it; the
// integration test test/integration/rbac.test.ts sees the same line from a real API server.
import { ApiException } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { FORBIDDEN_FIX, reasonOf } from "../../src/platform/kube/informer.js";

/** What client-node 2.x throws: the body is the response text, here the API server's Status. */
const apiException = (code: number, status: Record<string, unknown> | undefined) =>
  new ApiException(code, "Unknown API Status Code!", status === undefined ? undefined : JSON.stringify(status), {
    "content-type": "application/json",
  });

const forbiddenMessage =
  'policyreports.wgpolicyk8s.io is forbidden: User "system:serviceaccount:s3-vpce-guard:s3-vpce-guard" cannot list resource "policyreports" in API group "wgpolicyk8s.io" at the cluster scope';

describe("reasonOf", () => {
  it("gives a 403 with the API server's message (user, verb, resource) and the fix", () => {
    const error = apiException(403, {
      kind: "Status",
      apiVersion: "v1",
      status: "Failure",
      message: forbiddenMessage,
      reason: "Forbidden",
      code: 403,
    });
    expect(error.message.split("\n")[0]).toBe("HTTP-Code: 403"); // all a bare first line would say
    const reason = reasonOf(error);
    expect(reason).toBe(`HTTP 403: ${forbiddenMessage}; ${FORBIDDEN_FIX}`);
    expect(reason).toContain('cannot list resource "policyreports" in API group "wgpolicyk8s.io"');
    expect(reason).toContain("charts/s3-vpce-guard/templates/rbac.yaml");
  });

  it("keeps the fix when a long message is cut, and adds it to a watch's bare 403", () => {
    const long = apiException(403, { kind: "Status", message: `${"x".repeat(1000)} is forbidden` });
    expect(reasonOf(long)).toBe(`HTTP 403: ${"x".repeat(290)}; ${FORBIDDEN_FIX}`);
    // client-node's Watch: an Error with the status text and statusCode, no body; the informer names the request.
    const watch = Object.assign(new Error("Forbidden"), { statusCode: 403 });
    expect(reasonOf(watch, "watch /apis/s3.aws.upbound.io/v1beta1/bucketpolicies")).toBe(
      `HTTP 403 on watch /apis/s3.aws.upbound.io/v1beta1/bucketpolicies: Forbidden; ${FORBIDDEN_FIX}`,
    );
    expect(reasonOf(watch)).toBe(`Forbidden; ${FORBIDDEN_FIX}`);
  });

  it("gives other API errors their status and message, without a fix meant for RBAC", () => {
    const notFound = apiException(404, { kind: "Status", message: 'leases.coordination.k8s.io "s3-vpce-guard" not found', code: 404 });
    expect(reasonOf(notFound)).toBe('HTTP 404: leases.coordination.k8s.io "s3-vpce-guard" not found');
    expect(reasonOf(apiException(500, undefined))).toBe("HTTP-Code: 500");
    expect(reasonOf(new ApiException(502, "Bad Gateway", "<html>proxy error</html>", {}))).toBe("HTTP-Code: 502");
  });

  it("keeps connection errors and non-errors to one line", () => {
    const refused = new Error("request to https://127.0.0.1:6443 failed\nmore", {
      cause: new Error("connect ECONNREFUSED 127.0.0.1:6443"),
    });
    expect(reasonOf(refused)).toBe("request to https://127.0.0.1:6443 failed: connect ECONNREFUSED 127.0.0.1:6443");
    expect(reasonOf("plain")).toBe("plain");
  });
});
