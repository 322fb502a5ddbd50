// The container image, checked by reading the Dockerfile (no Docker engine here): multi-stage,
// Node 24, production dependencies only in the runtime stage, non-root, the CLI entrypoint.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../harness/control-plane.js";
import { IMAGE_NODE_FLAGS } from "../../bench/webhook-process.mjs";

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Splits a Dockerfile into stages of instructions (comments dropped, `\` continuations joined). */
function parseDockerfile(text: string): Stage[] {
  const logical = text
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  const stages: Stage[] = [];
  for (const line of logical) {
    const match = /^(\S+)\s+(.*)$/.exec(line);
    if (!match) throw new Error(`Dockerfile: cannot read "${line}"`);
    const keyword = (match[1] ?? "").toUpperCase();
    const args = (match[2] ?? "").trim();
    if (keyword === "FROM") {
      const from = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ image: from?.[1] ?? args, name: from?.[2], instructions: [] });
    } else {
      const stage = stages.at(-1);
      if (!stage) throw new Error(`Dockerfile: ${keyword} before the first FROM`);
      stage.instructions.push({ keyword, args });
    }
  }
  return stages;
}

const dockerfile = readFileSync(path.join(repoRoot, "Dockerfile"), "utf8");
const stages = parseDockerfile(dockerfile);
const runtime = stages.at(-1) as Stage;
const of = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);
const copyFrom = (stage: Stage) =>
  of(stage, "COPY").flatMap((i) => {
    const match = /--from=(\S+)\s+(\S+)/.exec(i.args);
    return match ? [{ from: match[1] ?? "", source: match[2] ?? "" }] : [];
  });

describe("Dockerfile", () => {
  it("parses continuations, comments and stage names", () => {
    const parsed = parseDockerfile("# c\nFROM a:1 AS one\nRUN x \\\n  y\nFROM --platform=$BUILDPLATFORM b\nUSER 1\n");
    expect(parsed).toEqual([
      { image: "a:1", name: "one", instructions: [{ keyword: "RUN", args: "x    y" }] },
      { image: "b", name: undefined, instructions: [{ keyword: "USER", args: "1" }] },
    ]);
  });

  it("is multi-stage on Node 24 slim images", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage.image).toMatch(/^node:24(-[a-z0-9]+)*-slim$/);
    expect(stages.slice(0, -1).every((s) => s.name !== undefined)).toBe(true);
  });

  it("compiles with the dev dependencies in a build stage", () => {
    const build = stages.find((s) => of(s, "RUN").some((i) => /npm run build|tsc/.test(i.args)));
    expect(build, "no stage runs the TypeScript build").toBeDefined();
    expect(build).not.toBe(runtime);
  });

  it("ships production dependencies only", () => {
    const modules = copyFrom(runtime).filter((c) => c.source.endsWith("node_modules"));
    expect(modules).toHaveLength(1);
    const depsStage = stages.find((s) => s.name === modules[0]?.from);
    expect(depsStage, `stage ${modules[0]?.from} not found`).toBeDefined();
    const installs = of(depsStage as Stage, "RUN").filter((i) => /\bnpm (ci|install|i)\b/.test(i.args));
    expect(installs.length).toBeGreaterThan(0);
    for (const install of installs) expect(install.args).toMatch(/npm ci .*--omit=dev/);
    // Nothing in the runtime stage installs packages or copies the whole build tree.
    expect(of(runtime, "RUN").some((i) => /\bnpm (ci|install|i)\b/.test(i.args))).toBe(false);
    expect(copyFrom(runtime).map((c) => c.source)).toEqual(expect.arrayContaining(["/src/dist/src", "/app/package.json"]));
    expect(of(runtime, "COPY").filter((i) => !i.args.includes("--from="))).toEqual([]);
  });

  it("runs as the non-root uid 65532", () => {
    const users = of(runtime, "USER");
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)?.args ?? "";
    expect(user).toMatch(/^65532(:65532)?$/);
  });

  it("starts the CLI with the young generation measured best for serving, in NODE_OPTIONS so the chart can change it", () => {
    expect(of(runtime, "ENTRYPOINT").at(-1)?.args).toBe('["node", "/app/dist/src/cli/main.js"]');
    // The webhook benches run serve with the image's flags.
    expect(of(runtime, "ENV").at(-1)?.args).toBe(`NODE_OPTIONS="${IMAGE_NODE_FLAGS}"`);
  });

  it("keeps the build context small (.dockerignore)", () => {
    const ignored = readFileSync(path.join(repoRoot, ".dockerignore"), "utf8")
      .split("\n")
      .map((l) => l.trim());
    for (const entry of ["node_modules", "dist", ".git", "test"]) expect(ignored).toContain(entry);
    // The build needs these: they must not be ignored.
    for (const needed of ["src", "package.json", "package-lock.json", "tsconfig.json"]) expect(ignored).not.toContain(needed);
  });
});
