// What a new user meets in the first hour, through the built CLI: every command tells the
// truth (nothing checked is not a success), fails with one line that names the fix, and
// follows the conventions of kubectl and helm (COMMAND --help, unknown flags, --version).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { nearestName, nodeVersionWarning } from "../../src/cli/conventions.js";
import { upjetBucketPolicy, DENY_UNLESS_PUBLIC_RANGE } from "../helpers/manifests.js";
import { suiteTempDirs } from "../helpers/temp-dir.js";

const root = resolve(import.meta.dirname, "../..");
// Built by the globalSetup test/helpers/build-dist.ts whenever src/ is newer.
const cli = join(root, "dist/src/cli/main.js");
const VERSION = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;

let dir: string;
let tls: string;
/** A HOME without ~/.kube/config, and no KUBECONFIG or in-cluster variables: no cluster configuration at all. */
let noClusterEnv: Record<string, string>;

function run(args: string[], options: { input?: string; env?: Record<string, string | undefined>; node?: string } = {}) {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", LOG_LEVEL: "info", ...options.env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
  const r = spawnSync(options.node ?? process.execPath, [cli, ...args], {
    cwd: dir,
    input: options.input ?? "",
    encoding: "utf8",
    timeout: 60_000,
    env: env as NodeJS.ProcessEnv,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
}

const lines = (text: string) => text.split("\n").filter((l) => l !== "");

const violating = stringify(
  upjetBucketPolicy({
    name: "ip-policy",
    policy: DENY_UNLESS_PUBLIC_RANGE,
  }),
);

const tempDir = suiteTempDirs();
beforeAll(() => {
  dir = tempDir("s3vg-first-hour-");
  mkdirSync(join(dir, "empty"));
  mkdirSync(join(dir, "texts"));
  writeFileSync(join(dir, "texts/notes.txt"), "apiVersion: s3.aws.upbound.io/v1beta1\nkind: BucketPolicy\n");
  writeFileSync(join(dir, "forty-two.yaml"), "42\n");
  writeFileSync(join(dir, "random.yml"), Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7919 + 13) % 256)));
  writeFileSync(join(dir, "violating.yaml"), violating);
  writeFileSync(join(dir, "broken.yaml"), "{{{\n");
  mkdirSync(join(dir, "home"));
  noClusterEnv = { HOME: join(dir, "home") };
  tls = join(dir, "tls");
  expect(run(["cert", "--out", tls]).code).toBe(0);
});

const noCluster = () => ({ ...noClusterEnv, KUBECONFIG: undefined, KUBERNETES_SERVICE_HOST: undefined });

describe("1. check reports an empty run as a failure", () => {
  const emptyLine = (where: string) =>
    where === "<stdin>"
      ? "s3-vpce-guard check: no resource of a checked kind found in <stdin>; check what is piped in, or pass --allow-empty to accept that"
      : `s3-vpce-guard check: no resource of a checked kind found in ${where}; check the path (directories are searched for *.yaml, *.yml and *.json files), or pass --allow-empty to accept that`;

  it.each([
    ["an empty directory", ["empty"], ""],
    ["a directory of .txt files", ["texts"], ""],
    ["a file holding 42", ["forty-two.yaml"], ""],
    ["empty stdin", ["-"], ""],
  ])("%s: exit 2 and one line saying so", (_, paths, input) => {
    const r = run(["check", ...paths], { input });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("0 resources checked: 0 deny, 0 warn, 0 audit\n");
    expect(r.stderr).toBe(`${emptyLine(paths.map((p) => (p === "-" ? "<stdin>" : p)).join(", "))}\n`);
  });

  it("a random-binary .yml (YAML reads it as one string): the same line, exit 2", () => {
    const r = run(["check", "random.yml"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("0 resources checked: 0 deny, 0 warn, 0 audit\n");
    expect(lines(r.stderr)).toEqual([emptyLine("random.yml")]);
  });

  it("--allow-empty accepts a run with nothing to check (exit 0)", () => {
    const r = run(["check", "--allow-empty", "empty"]);
    expect(r).toMatchObject({ code: 0, stderr: "", stdout: "0 resources checked: 0 deny, 0 warn, 0 audit\n" });
  });

  it("a run that checked something is unaffected (exit 1 on a deny)", () => {
    expect(run(["check", "violating.yaml"]).code).toBe(1);
  });
});

describe("2. serve and reconcile without a cluster configuration", () => {
  const noConfig = (home: string) =>
    `no Kubernetes configuration: KUBECONFIG is not set, ${home}/.kube/config does not exist, and there is no in-cluster config (not in a pod); set KUBECONFIG to a kubeconfig file, run in a pod with a service account`;

  it("serve: one line naming KUBECONFIG, the in-cluster config and --no-kube; exit 2 at once", () => {
    const r = run(["serve", "--tls-cert", join(tls, "tls.crt"), "--tls-key", join(tls, "tls.key"), "--port", "0", "--metrics-port", "0"], {
      env: noCluster(),
    });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`s3-vpce-guard serve: ${noConfig(noClusterEnv.HOME!)}, or pass --no-kube to serve admission without a cluster\n`);
  });

  it("reconcile: the same, pointing at serve --no-kube", () => {
    const r = run(["reconcile", "--metrics-port", "0", "--health-port", "0"], { env: noCluster() });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `s3-vpce-guard reconcile: ${noConfig(noClusterEnv.HOME!)}, or run \`serve --no-kube\` instead (reconcile audits a cluster, it cannot run without one)\n`,
    );
  });

  it("a KUBECONFIG that does not exist, or a plain-HTTP server, is one line too", () => {
    const missing = run(["reconcile"], { env: { KUBECONFIG: join(dir, "nope.kubeconfig") } });
    expect(missing.code).toBe(2);
    expect(lines(missing.stderr)).toHaveLength(1);
    expect(missing.stderr).toContain(`cannot load the Kubernetes configuration from KUBECONFIG=${join(dir, "nope.kubeconfig")}: ENOENT`);
    const file = join(dir, "http.kubeconfig");
    writeFileSync(
      file,
      stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "c", cluster: { server: "http://localhost:1" } }],
        contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
        users: [{ name: "u", user: {} }],
        "current-context": "x",
      }),
    );
    const http = run(
      ["serve", "--tls-cert", join(tls, "tls.crt"), "--tls-key", join(tls, "tls.key"), "--port", "0", "--metrics-port", "0"],
      { env: { KUBECONFIG: file } },
    );
    expect(http.code).toBe(2);
    expect(http.stderr).toBe(
      `s3-vpce-guard serve: the cluster "c" in KUBECONFIG=${file} has a plain-HTTP server (http://localhost:1), which the Kubernetes client refuses; use its https:// address, or pass --no-kube to serve admission without a cluster\n`,
    );
  });
});

describe("check --cluster without a cluster configuration", () => {
  it("one line naming KUBECONFIG and the in-cluster config, exit 2, nothing on stdout", () => {
    const r = run(["check", "--cluster"], { env: noCluster() });
    expect(r).toMatchObject({ code: 2, stdout: "" });
    expect(r.stderr).toBe(
      `s3-vpce-guard check: --cluster: no Kubernetes configuration: KUBECONFIG is not set, ${noClusterEnv.HOME}/.kube/config does not exist, and there is no in-cluster config (not in a pod); set KUBECONFIG to a kubeconfig file, run in a pod with a service account\n`,
    );
  });
});

describe("3. start-up errors are one line with the fix; the stack only at debug level", () => {
  const serveArgs = (cert: string, key: string, port = "0") => [
    "serve",
    "--tls-cert",
    cert,
    "--tls-key",
    key,
    "--no-kube",
    "--port",
    port,
    "--metrics-port",
    "0",
    "--host",
    "127.0.0.1",
  ];

  it("a missing certificate", () => {
    const nope = join(dir, "nope.crt");
    const r = run(serveArgs(nope, join(tls, "tls.key")));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `s3-vpce-guard serve: cannot read the TLS certificate ${nope}: ENOENT: no such file or directory, open '${nope}'; check --tls-cert\n`,
    );
  });

  it("a port in use", async () => {
    const blocker = createServer();
    await new Promise<void>((done) => blocker.listen(0, "127.0.0.1", done));
    const port = (blocker.address() as { port: number }).port;
    try {
      const child = spawn(process.execPath, [cli, ...serveArgs(join(tls, "tls.crt"), join(tls, "tls.key"), String(port))], {
        cwd: dir,
        env: { ...process.env, LOG_LEVEL: "info" },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      const code = await new Promise<number | null>((done) => child.on("close", done));
      expect(code).toBe(2);
      expect(stderr).toBe(
        `s3-vpce-guard serve: cannot listen on 127.0.0.1:${port}: another process uses that port; stop it, or pass another --port / --metrics-port / --health-port (0 picks a free one)\n`,
      );
      // Info lines may come before; no fatal line with a stack.
      expect(stdout).not.toContain("stack");
      expect(stdout).not.toContain('"level":"fatal"');
    } finally {
      blocker.close();
    }
  });

  it("LOG_LEVEL=debug adds the stack as a structured debug line", () => {
    const r = run(serveArgs(join(dir, "nope.crt"), join(tls, "tls.key")), { env: { LOG_LEVEL: "debug" } });
    expect(r.code).toBe(2);
    const debug = lines(r.stdout)
      .map((l) => JSON.parse(l) as { level: string; err?: { stack?: string } })
      .find((l) => l.level === "debug" && l.err);
    expect(debug?.err?.stack).toContain("Error: cannot read the TLS certificate");
    expect(lines(r.stderr)).toHaveLength(1);
  });
});

describe("4. cert --out on a path that cannot exist", () => {
  it("fails at once with the reason", () => {
    const r = run(["cert", "--out", "/proc/s3vg-no/such/dir"]);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "s3-vpce-guard cert: --out /proc/s3vg-no/such/dir: cannot create /proc/s3vg-no: /proc does not accept new directories\n",
    );
  });

  it("a file in the way", () => {
    const r = run(["cert", "--out", join(dir, "violating.yaml", "tls")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `s3-vpce-guard cert: --out ${join(dir, "violating.yaml", "tls")}: ${join(dir, "violating.yaml")} exists and is not a directory\n`,
    );
  });

  it("creates missing parents", () => {
    const out = join(dir, "a/b/c");
    expect(run(["cert", "--out", out]).code).toBe(0);
    expect(existsSync(join(out, "tls.key"))).toBe(true);
  });
});

describe("5. help, unknown flags, --version as with kubectl and helm", () => {
  it.each(["check", "rules", "serve", "reconcile", "cert"])("%s --help: that command's usage with examples, exit 0", (command) => {
    const r = run([command, "--help"]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout.startsWith(`Usage:\n  s3-vpce-guard ${command}`)).toBe(true);
    expect(r.stdout).toContain("Examples:");
    // Only this command's usage, not the others' (examples may use another command).
    const usage = r.stdout.slice(0, r.stdout.indexOf("Examples:"));
    for (const other of ["check", "rules", "serve", "reconcile", "cert"].filter((c) => c !== command)) {
      expect(usage).not.toContain(`s3-vpce-guard ${other}`);
    }
  });

  it("no arguments, --help and help: the command list on stdout, exit 0", () => {
    for (const args of [[], ["--help"], ["help"]]) {
      const r = run(args);
      expect(r).toMatchObject({ code: 0, stderr: "" });
      expect(r.stdout).toContain("Run 's3-vpce-guard COMMAND --help' for a command's flags and examples.");
    }
    expect(run(["help", "cert"]).stdout.startsWith("Usage:\n  s3-vpce-guard cert")).toBe(true);
  });

  it("an unknown flag is named, with the nearest known one, and no usage dump", () => {
    const typo = run(["check", "--outptu", "json", "empty"]);
    expect(typo).toMatchObject({ code: 2, stdout: "" });
    expect(typo.stderr).toBe(
      "s3-vpce-guard check: unknown flag --outptu; did you mean --output?\nRun 's3-vpce-guard check --help' for usage.\n",
    );
    expect(run(["check", "--frob", "empty"]).stderr).toBe(
      "s3-vpce-guard check: unknown flag --frob\nRun 's3-vpce-guard check --help' for usage.\n",
    );
    expect(run(["check", "--allow", "empty"]).stderr).toBe(
      "s3-vpce-guard check: unknown flag --allow; did you mean --allow-empty?\nRun 's3-vpce-guard check --help' for usage.\n",
    );
    expect(run(["serve", "--tls-crt", "x"]).stderr).toBe(
      "s3-vpce-guard serve: unknown flag --tls-crt; did you mean --tls-cert?\nRun 's3-vpce-guard serve --help' for usage.\n",
    );
    expect(run(["reconcile", "-x"]).stderr).toBe(
      "s3-vpce-guard reconcile: unknown flag -x\nRun 's3-vpce-guard reconcile --help' for usage.\n",
    );
    expect(run(["chek"]).stderr).toBe(
      `s3-vpce-guard: unknown command "chek"; did you mean "check"?\nRun 's3-vpce-guard --help' for the commands.\n`,
    );
  });

  it("a bad value names the flag and what it takes", () => {
    expect(run(["cert", "--out", join(dir, "c"), "--days", "abc"])).toMatchObject({
      code: 2,
      stderr: `s3-vpce-guard cert: --days must be a whole number of days from 1 to 36500, not "abc"\n`,
    });
    expect(run(["check", "empty", "--output"])).toMatchObject({
      code: 2,
      stderr:
        "s3-vpce-guard check: --output needs a value (--output=VALUE when the value starts with -)\nRun 's3-vpce-guard check --help' for usage.\n",
    });
    expect(run(["rules", "extra"])).toMatchObject({
      code: 2,
      stderr: `s3-vpce-guard rules: unexpected argument "extra": this command takes flags only\nRun 's3-vpce-guard rules --help' for usage.\n`,
    });
    expect(run(["check", "--context", "prod", "empty"])).toMatchObject({
      code: 2,
      stderr: "s3-vpce-guard check: --context only applies with --cluster\nRun 's3-vpce-guard check --help' for usage.\n",
    });
  });

  it("--version, -v and version print the package version", () => {
    for (const args of [["--version"], ["-v"], ["version"]])
      expect(run(args)).toMatchObject({ code: 0, stdout: `${VERSION}\n`, stderr: "" });
  });

  it("suggests only names close enough to be the one meant", () => {
    expect(nearestName("namespac", ["namespace", "context"])).toBe("namespace");
    expect(nearestName("zzzz", ["namespace", "context"])).toBeUndefined();
    expect(nearestName("x".repeat(1000), ["namespace"])).toBeUndefined();
  });
});

describe("6. output formats agree", () => {
  it("stdin is <stdin> in text and in JSON", () => {
    const text = run(["check", "-"], { input: violating });
    expect(text.stdout).toContain("BucketPolicy ip-policy (<stdin>:1)");
    const json = JSON.parse(run(["check", "-o", "json", "-"], { input: violating }).stdout) as { findings: { file: string }[] };
    expect(new Set(json.findings.map((f) => f.file))).toEqual(new Set(["<stdin>"]));
  });

  it("the JSON summary counts the errors the text summary shows", () => {
    const text = run(["check", "broken.yaml", "violating.yaml"]);
    const count = Number(/(\d+) input errors?$/m.exec(text.stdout)?.[1]);
    expect(count).toBeGreaterThan(0);
    const json = JSON.parse(run(["check", "-o", "json", "broken.yaml", "violating.yaml"]).stdout) as {
      errors: unknown[];
      summary: { errors: number };
    };
    expect(json.summary.errors).toBe(count);
    expect(json.errors).toHaveLength(count);
  });

  it("a parse error is printed once", () => {
    const r = run(["check", "-"], { input: "{{{\n" });
    expect(r.code).toBe(2);
    const errorLines = lines(r.stdout).filter((l) => l.startsWith("<stdin>:"));
    expect(errorLines.length).toBeGreaterThan(0);
    expect(new Set(errorLines).size).toBe(errorLines.length);
    const json = JSON.parse(run(["check", "-o", "json", "-"], { input: "{{{\n" }).stdout) as {
      errors: { file: string; line: number; message: string }[];
    };
    expect(new Set(json.errors.map((e) => JSON.stringify(e))).size).toBe(json.errors.length);
    expect(json.errors.every((e) => e.file === "<stdin>")).toBe(true);
  });
});

describe("7. every log line is structured", () => {
  it("serve's lines, the ports line included, carry level and time", async () => {
    const child = spawn(
      process.execPath,
      [
        cli,
        "serve",
        "--tls-cert",
        join(tls, "tls.crt"),
        "--tls-key",
        join(tls, "tls.key"),
        "--no-kube",
        "--port",
        "0",
        "--metrics-port",
        "0",
        "--host",
        "127.0.0.1",
      ],
      { cwd: dir, env: { ...process.env, LOG_LEVEL: "info" } },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const closed = new Promise<number | null>((done) => child.on("close", done));
    for (let waited = 0; !stdout.includes('"msg":"ports"') && waited < 30_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    child.kill("SIGTERM");
    expect(await closed).toBe(0);
    expect(stderr).toBe("");
    const parsed = lines(stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.length).toBeGreaterThanOrEqual(3);
    for (const line of parsed) {
      expect(line).toMatchObject({ level: expect.any(String), time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), msg: expect.any(String) });
    }
    // Scripts read the bound ports from this line.
    expect(stdout).toMatch(/"msg":"ports","port":\d+,"metricsPort":\d+/);
  });
});

describe("8. an old Node.js is warned about once", () => {
  it("names the version, the supported one and the fix", () => {
    expect(nodeVersionWarning("20.20.2")).toBe(
      'Node.js 20.20.2 is older than 22 (package.json "engines"); it works, at about half the start-up speed: put Node 22 or newer on PATH (source scripts/node24.sh)',
    );
    expect(nodeVersionWarning("22.0.0")).toBeUndefined();
    expect(nodeVersionWarning("24.11.1")).toBeUndefined();
  });

  it("the supported Node.js prints no warning", () => {
    expect(run(["check", "violating.yaml"]).stderr).toBe("");
  });

  // The machine's own node, when it is older than 22 (the case of the issue: a new shell after quickstart).
  const systemNode = ["/usr/bin/node", "/usr/local/bin/node"].find(
    (p) => existsSync(p) && Number(spawnSync(p, ["-p", "process.versions.node.split('.')[0]"], { encoding: "utf8" }).stdout) < 22,
  );
  it.runIf(systemNode !== undefined)("an older node: one warning line on stderr, and the check still runs", () => {
    const r = run(["check", "violating.yaml"], { node: systemNode });
    const version = spawnSync(systemNode!, ["-p", "process.versions.node"], { encoding: "utf8" }).stdout.trim();
    expect(r.stderr).toBe(`s3-vpce-guard: warning: ${nodeVersionWarning(version)}\n`);
    expect(r.code).toBe(1);
  });
});
