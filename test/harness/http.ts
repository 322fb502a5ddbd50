import { request as httpRequest } from "node:http";

/** The body of a plain-HTTP GET (metrics endpoints and the like); fails after `timeoutMs`. */
export function getText(url: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { timeout: timeoutMs }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("end", () => resolve(text));
    })
      .on("timeout", function (this: { destroy(e: Error): void }) {
        this.destroy(new Error(`GET ${url} timed out`));
      })
      .on("error", reject)
      .end();
  });
}
