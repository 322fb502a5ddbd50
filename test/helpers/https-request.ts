// Requests to a test server on 127.0.0.1 over HTTPS, each on a connection of its own (no agent),
// for tests that need the request open: body written in parts, stalled, or never sent.
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage } from "node:http";
import { request as httpsRequest, type RequestOptions } from "node:https";

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  json: () => Record<string, unknown>;
}

/** The whole response as text, once it has ended. */
export function collect(res: IncomingMessage): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let body = "";
    res.setEncoding("utf8");
    res.on("data", (c: string) => (body += c));
    res.on("end", () =>
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) as Record<string, unknown> }),
    );
    res.on("error", reject);
  });
}

/**
 * Opens `options` (method, path, headers) against 127.0.0.1:`port`, trusting `ca`. The request
 * stays open: the caller writes and ends it. `reply` settles with the response or the error.
 */
export function openHttps(port: number, ca: string, options: RequestOptions): { request: ClientRequest; reply: Promise<Reply> } {
  let request!: ClientRequest;
  const reply = new Promise<Reply>((resolve, reject) => {
    request = httpsRequest({ host: "127.0.0.1", port, ca, agent: false, ...options }, (res) => collect(res).then(resolve, reject));
    request.on("error", reject);
  });
  return { request, reply };
}

/** POSTs `body` (JSON) to /validate on 127.0.0.1:`port`, trusting `ca`: the whole reply. */
export function postValidate(port: number, ca: string, body: string): Promise<Reply> {
  const { request, reply } = openHttps(port, ca, { method: "POST", path: "/validate", headers: { "content-type": "application/json" } });
  request.end(body);
  return reply;
}
