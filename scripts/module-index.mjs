#!/usr/bin/env node
/**
 * Writes docs/modules.md, "Where each concern lives": for every source folder, each file with the first sentence of
 * its header comment. The headers are the truth (they sit beside the code they describe); this page only gathers
 * them, so a newcomer sees from one page what each file of a folder is for. `npm run docs:modules` after adding,
 * removing or re-describing a module; test/docs/h151-module-index.test.ts fails while the page is out of date.
 * Plain Node, no dependency.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The source folders, in the order a reader meets them (docs/architecture.md), each with its own doc page. */
export const FOLDERS = [
  { dir: "src/protocol", doc: "protocol.md" },
  { dir: "src/runtime", doc: "runtime.md" },
  { dir: "src/yjs", doc: "yjs.md" },
  { dir: "src/cluster", doc: "cluster.md" },
  { dir: "persistence", doc: "persistence.md" },
  { dir: "persistence/pg", doc: "persistence.md" },
  { dir: "src/cli", doc: "cli.md" },
  { dir: "src/cli/admin", doc: "cli.md" },
  { dir: "src/cli/bundle", doc: "cli.md" },
  { dir: "src/cli/config", doc: "cli.md" },
  { dir: "src/cli/serve", doc: "cli.md" },
  { dir: "src/rooms", doc: "rooms.md" },
  { dir: "src/rooms/wire", doc: "rooms.md" },
  { dir: "src/game", doc: "game.md" },
  { dir: "provider", doc: "provider.md" },
  { dir: "rooms-client", doc: "rooms.md" },
  { dir: "game-client", doc: "game.md" },
];

/** The trees whose every source file is listed (a folder under them missing from FOLDERS is listed after the rest). */
const ROOTS = ["src", "persistence", "provider", "rooms-client", "game-client"];
const SOURCE = /\.(?:[cm]?ts|tsx|[cm]?js)$/;
const OUTPUT = "docs/modules.md";

/** A line that starts a list item (`- a`, `1. a`, `2) a`) or an indented block (a table of routes, an example). */
const LIST_ITEM = /^(?:\s*(?:[-*]|\d+[.)])\s|\s\s+\S)/;
/** Abbreviations whose period ends no sentence. */
const ABBREVIATIONS = /(?:^|[\s(])(?:e\.g|i\.e|cf|vs)\.$/;

/**
 * The header comment of a source file: the `/** … *\/` block it starts with, as plain text (its lines' ` * ` taken
 * off, blank lines kept as paragraph breaks); `undefined` when the file does not start with one.
 */
export function headerOf(text) {
  if (!text.startsWith("/**")) return undefined;
  const end = text.indexOf("*/");
  if (end < 0) return undefined;
  return text
    .slice(3, end)
    .split("\n")
    .map((line) => line.replace(/^\s*\*?\s?/, "").trimEnd())
    .join("\n")
    .replace(/\*\\\//g, "*/") // `*\/`: how a comment writes `*/` without ending itself
    .trim();
}

/**
 * The header's first sentence, whole: up to the first `.`, `!` or `?` that is followed by a space or the end, outside
 * parentheses and code spans (`see a.ts. Then` ends there, `(a. b)` and `` `x. y` `` do not), and not an
 * abbreviation's; or the first paragraph when no such stop comes before its end. A list or an indented block that
 * begins in the sentence is left out, marked `…` (its lines are not one cell's worth).
 */
export function firstSentence(header) {
  const lines = header.split("\n");
  const end = lines.findIndex((line) => line.trim() === "" || LIST_ITEM.test(line));
  const cut = end >= 0 && LIST_ITEM.test(lines[end]);
  const paragraph = `${lines
    .slice(0, end < 0 ? undefined : end)
    .join(" ")
    .replace(/\s+/g, " ")
    .trim()}${cut ? " …" : ""}`;
  let depth = 0;
  let code = false;
  for (let i = 0; i < paragraph.length; i++) {
    const char = paragraph[i];
    if (char === "`") code = !code;
    if (code) continue;
    if (char === "(") depth++;
    else if (char === ")") depth = Math.max(0, depth - 1);
    else if (depth === 0 && ".!?".includes(char) && (i + 1 === paragraph.length || paragraph[i + 1] === " ")) {
      const sentence = paragraph.slice(0, i + 1);
      if (!ABBREVIATIONS.test(sentence)) return sentence;
    }
  }
  return paragraph;
}

/**
 * Text for a table cell: `|` escaped everywhere (GitHub reads it as a column break inside code spans too), and outside
 * code spans the characters markdown would read as markup (`<` as a tag, `*` as emphasis).
 */
export function cellText(text) {
  return text
    .split("`")
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/[<*]/g, "\\$&")))
    .join("`")
    .replace(/\|/g, "\\|");
}

/** Every source file under the listed trees, as `{ file, header }` (`file` relative to `root`, `/`-separated). */
export function sourceFiles(root) {
  const files = [];
  for (const tree of ROOTS) {
    for (const name of readdirSync(path.join(root, tree), { recursive: true, encoding: "utf8" })) {
      const file = path.join(tree, name).split(path.sep).join("/");
      if (!SOURCE.test(file) || !statSync(path.join(root, file)).isFile()) continue;
      files.push({ file, header: headerOf(readFileSync(path.join(root, file), "utf8")) });
    }
  }
  return files.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

/** docs/modules.md as it should read for the sources under `root`. */
export function moduleIndex(root) {
  const byFolder = new Map();
  for (const source of sourceFiles(root)) {
    const dir = path.posix.dirname(source.file);
    byFolder.set(dir, [...(byFolder.get(dir) ?? []), source]);
  }
  const known = new Set(FOLDERS.map(({ dir }) => dir));
  const folders = [...FOLDERS, ...[...byFolder.keys()].filter((dir) => !known.has(dir)).map((dir) => ({ dir, doc: undefined }))];
  const lines = [
    "# Where each concern lives",
    "",
    "Every source file, folder by folder, with the first sentence of its header comment: what the module owns. The",
    "headers are the source of truth; this page is generated from them by `npm run docs:modules`",
    "(scripts/module-index.mjs) and checked by the tests, so do not edit it by hand. How the parts work together:",
    "[architecture.md](architecture.md).",
  ];
  for (const { dir, doc } of folders) {
    const files = byFolder.get(dir);
    if (!files) continue;
    lines.push("", `## ${dir}/`, "");
    if (doc) lines.push(`How it works: [${doc}](${doc}).`, "");
    lines.push("| file | what it owns |", "|---|---|");
    for (const { file, header } of files) {
      const what = header === undefined ? "_(no header comment yet)_" : cellText(firstSentence(header));
      lines.push(`| [${path.posix.basename(file)}](../${file}) | ${what} |`);
    }
  }
  return `${lines.join("\n")}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  writeFileSync(path.join(root, OUTPUT), moduleIndex(root));
  process.stdout.write(`Wrote ${OUTPUT}\n`);
}
