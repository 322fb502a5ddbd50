#!/usr/bin/env node
// The layer rule of README "Architecture", checked on every `npm run lint`:
//   core     imports only core, and nothing from npm or node:
//   app      imports only core and app (no npm, no node:)
//   platform imports core types only (`import type`) plus core/model's vocabulary (kind list,
//            report names, refs) and core/util's pure helpers: data, never a decision; and
//            platform, npm and node:
//   cli      wires them and may import anything
// It prints the folder-level import graph (layer/folder → layer/folder) and exits 1 on a
// forbidden edge or an import cycle between files.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const srcRoot = join(root, process.argv[2] ?? "src");
const LAYERS = ["core", "app", "platform", "cli"];

function sourceFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") && !name.endsWith(".d.ts") ? [path] : [];
  });
}

// import … from "x" / export … from "x" / import("x") / import "x"
const IMPORT =
  /(?:^|\n)\s*(import|export)\s+(type\s+)?([^;]*?)\s*from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|(?:^|\n)\s*import\s+["']([^"']+)["']/g;

function importsOf(file) {
  const text = readFileSync(file, "utf8");
  const found = [];
  for (const match of text.matchAll(IMPORT)) {
    const specifier = match[4] ?? match[5] ?? match[6];
    const clause = match[3] ?? "";
    const typeOnly = match[2] !== undefined || isAllTypeSpecifiers(clause);
    found.push({ specifier, typeOnly: match[5] === undefined && match[6] === undefined && typeOnly });
  }
  return found;
}

function isAllTypeSpecifiers(clause) {
  const braces = /^\{([^}]*)\}$/.exec(clause.trim());
  if (!braces) return false;
  const names = braces[1]
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return names.length > 0 && names.every((n) => n.startsWith("type "));
}

const rel = (path) => relative(srcRoot, path).split(sep).join("/");
const layerOf = (relPath) => (LAYERS.includes(relPath.split("/")[0]) ? relPath.split("/")[0] : "(outside)");
function folderOf(relPath) {
  const parts = relPath.split("/");
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0];
}

function violation(fromLayer, target) {
  const { kind, layer, typeOnly } = target;
  if (fromLayer === "cli") return undefined;
  if (fromLayer === "(outside)") return "every source file belongs to core/, app/, platform/ or cli/";
  if (kind === "package") {
    return fromLayer === "platform"
      ? undefined
      : `${fromLayer} may not import packages from npm or node: (move the I/O to platform/ and pass it in)`;
  }
  if (fromLayer === "core" && layer !== "core") return `core imports only core`;
  if (fromLayer === "app" && layer !== "core" && layer !== "app")
    return `app imports only core and app (inject what it needs from ${layer})`;
  if (fromLayer === "platform") {
    const vocabulary = target.path.startsWith("core/model/") || target.path.startsWith("core/util/");
    if (layer === "core" && !typeOnly && !vocabulary)
      return "platform imports core types only, and values only from core/model and core/util (use `import type`, or let cli pass the function in)";
    if (layer !== "core" && layer !== "platform") return `platform may not import ${layer}`;
  }
  return undefined;
}

const files = sourceFiles(srcRoot);
const edges = new Map();
const fileGraph = new Map();
const problems = [];
for (const file of files) {
  const from = rel(file);
  const fromLayer = layerOf(from);
  const targets = [];
  for (const { specifier, typeOnly } of importsOf(file)) {
    let target;
    if (specifier.startsWith(".")) {
      const resolved = rel(normalize(join(dirname(file), specifier.replace(/\.js$/, ".ts"))));
      target = { kind: "file", path: resolved, layer: layerOf(resolved), typeOnly };
      if (!typeOnly) targets.push(resolved);
      const edge = `${folderOf(from)} -> ${folderOf(resolved)}`;
      if (folderOf(from) !== folderOf(resolved)) edges.set(edge, (edges.get(edge) ?? 0) + 1);
    } else {
      target = { kind: "package", path: specifier, typeOnly };
    }
    const why = violation(fromLayer, target);
    if (why) problems.push(`${from} imports ${target.path}: ${why}`);
  }
  fileGraph.set(from, targets);
}

// File-level cycles over value imports (type-only imports vanish at run time).
const state = new Map();
const stack = [];
function visit(node) {
  state.set(node, "open");
  stack.push(node);
  for (const next of fileGraph.get(node) ?? []) {
    if (state.get(next) === "open") problems.push(`import cycle: ${[...stack.slice(stack.indexOf(next)), next].join(" -> ")}`);
    else if (!state.has(next)) visit(next);
  }
  stack.pop();
  state.set(node, "done");
}
for (const node of fileGraph.keys()) if (!state.has(node)) visit(node);

console.log(`Folder-level import graph of ${relative(root, srcRoot) || "."} (edge: number of imports)`);
for (const [edge, count] of [...edges].sort(([a], [b]) => a.localeCompare(b))) console.log(`  ${edge}  (${count})`);
if (problems.length > 0) {
  console.error(`\n${problems.length} forbidden import(s) (README "Architecture"):`);
  for (const problem of problems) console.error(`  ${problem}`);
  process.exit(1);
}
console.log(`\nOK: ${files.length} files, no forbidden edge, no import cycle.`);
