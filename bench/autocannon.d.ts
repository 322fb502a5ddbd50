// The part of autocannon's API that bench/webhook-load.mjs uses (the package ships no types).
declare module "autocannon" {
  interface Request {
    method: string;
    path: string;
    headers: Record<string, string>;
    body: string;
  }
  interface Options {
    url: string;
    connections: number;
    pipelining: number;
    requests: Request[];
    duration?: number;
    amount?: number;
  }
  interface Result {
    requests: { total: number; average: number };
    latency: { p50: number; p99: number };
    non2xx: number;
    errors: number;
    duration: number;
  }
  export default function autocannon(options: Options, callback: (error: Error | null, result: Result) => void): unknown;
}
