/**
 * A config file found and read: `--config`, else the first of yparty.json, partykit.json, .jsonc, .json5 in the
 * folder, parsed as JSON with comments or as JSON5, and checked against the schema (schema.ts) and PartyKit's naming
 * rules; also the `.env` files. Problems are returned, all at once, for resolve.ts to report.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { CliDefaults } from "../defaults.js";
import { CliError } from "../errors.js";
import { Json5SyntaxError, parseJson5 } from "./json5.js";
import { lineColumn, stripJsonComments } from "./jsonc.js";
import { configShape, type ConfigFile } from "./schema.js";
import { check, type ShapeProblem } from "./shape.js";

/** The config file to use: `--config`, else the first of yparty.json / partykit.json in `cwd`; none is fine. */
export function findConfigFile(cwd: string, explicit: string | undefined): string | undefined {
  if (explicit !== undefined) {
    const file = path.resolve(cwd, explicit);
    if (!existsSync(file)) throw new CliError("ERR_CONFIG_NOT_FOUND", `Config file not found: ${file}`);
    return file;
  }
  return CliDefaults.configFiles.map((name) => path.join(cwd, name)).find((file) => existsSync(file));
}

const validName = /^[a-z0-9_-]+$/;

/** PartyKit's rule for a project name (also checked for `--name`); undefined when it fits. */
export function nameProblem(name: string): string | undefined {
  return validName.test(name) ? undefined : `expected lowercase letters, digits, "-" or "_", got ${JSON.stringify(name)}`;
}

/** Extra rules beyond types, from PartyKit's own checks; fields of the wrong type are left to the type check. */
function checkNames(config: Record<string, unknown>): ShapeProblem[] {
  const problems: ShapeProblem[] = [];
  const name = typeof config.name === "string" ? nameProblem(config.name) : undefined;
  if (name) problems.push({ field: "name", message: name });
  const parties = config.parties;
  for (const party of typeof parties === "object" && parties !== null && !Array.isArray(parties) ? Object.keys(parties) : []) {
    if (!validName.test(party)) {
      problems.push({ field: `parties.${party}`, message: 'party names are lowercase letters, digits, "-" or "_"' });
    } else if (party === "main") {
      problems.push({ field: "parties.main", message: 'the "main" party is the "main" field; pick another name' });
    }
  }
  const port = config.port;
  if (typeof port === "number" && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    problems.push({ field: "port", message: `expected an integer 0-65535, got ${port}` });
  }
  return problems;
}

/** A config file as read: its fields, without those that have a problem (so later checks do not trip on them). */
export interface ReadConfig {
  config: ConfigFile;
  /** Every wrong type, unknown field and broken rule, all at once. */
  problems: ShapeProblem[];
  /** Unknown fields where PartyKit's schema ignores them (`serve`, `serve.build`): for a note. */
  ignored: string[];
}

/** JSON with comments and trailing commas (yparty.json, partykit.json, partykit.jsonc). */
function parseJsoncFile(file: string, text: string): unknown {
  try {
    return JSON.parse(stripJsonComments(text));
  } catch (error) {
    const offset = /position (\d+)/.exec((error as Error).message)?.[1];
    const where = offset === undefined ? "" : (({ line, column }) => `:${line}:${column}`)(lineColumn(text, Number(offset)));
    throw new CliError("ERR_CONFIG", `${file}${where}: not valid JSON (${(error as Error).message})`);
  }
}

/** partykit.json5: real JSON5 (unquoted keys, single quotes, hex numbers, Infinity…). */
function parseJson5File(file: string, text: string): unknown {
  try {
    return parseJson5(text);
  } catch (error) {
    if (!(error instanceof Json5SyntaxError)) throw error;
    throw new CliError("ERR_CONFIG", `${file}:${error.line}:${error.column}: not valid JSON5 (${error.reason})`);
  }
}

/** Reads and checks a config file. Throws only when it cannot be read or is not JSON; other problems are returned. */
export function readConfigFile(file: string): ReadConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new CliError("ERR_CONFIG_NOT_FOUND", `Cannot read config file ${file}: ${(error as Error).message}`);
  }
  const parsed = file.endsWith(".json5") ? parseJson5File(file, text) : parseJsoncFile(file, text);
  const checked = check(configShape, parsed, "");
  const ignored = checked.filter((problem) => problem.ignored).map((problem) => problem.field);
  const problems = checked.filter((problem) => !problem.ignored);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return { config: {}, problems, ignored };
  problems.push(...checkNames(parsed as Record<string, unknown>));
  const config: Record<string, unknown> = { ...parsed };
  for (const { field } of problems) delete config[field.split(/[.[]/)[0]!];
  return { config: config as ConfigFile, problems, ignored };
}

/** Variables from `.env` (and `.env.local` in dev) in `dir`; later files win. */
export function readEnvFiles(dir: string, includeLocal: boolean, parse: (text: string) => Record<string, string>) {
  const vars: Record<string, string> = {};
  const files: string[] = [];
  for (const name of CliDefaults.envFiles) {
    if (name.endsWith(".local") && !includeLocal) continue;
    const file = path.join(dir, name);
    if (!existsSync(file)) continue;
    Object.assign(vars, parse(readFileSync(file, "utf8")));
    files.push(file);
  }
  return { vars, files };
}
