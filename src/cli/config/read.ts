import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { CliDefaults } from "../defaults.js";
import { CliError } from "../errors.js";
import { lineColumn, stripJsonComments } from "./jsonc.js";
import { configShape, type ConfigFile } from "./schema.js";
import { check } from "./shape.js";

/** The config file to use: `--config`, else the first of yparty.json / partykit.json in `cwd`; none is fine. */
export function findConfigFile(cwd: string, explicit: string | undefined): string | undefined {
  if (explicit !== undefined) {
    const file = path.resolve(cwd, explicit);
    if (!existsSync(file)) throw new CliError("ERR_CONFIG_NOT_FOUND", `Config file not found: ${file}`);
    return file;
  }
  return CliDefaults.configFiles.map((name) => path.join(cwd, name)).find((file) => existsSync(file));
}

/** Extra rules beyond types, from PartyKit's own checks. */
function checkNames(config: ConfigFile): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = [];
  const validName = /^[a-z0-9_-]+$/;
  if (config.name !== undefined && !validName.test(config.name)) {
    problems.push({ field: "name", message: `expected lowercase letters, digits, "-" or "_", got ${JSON.stringify(config.name)}` });
  }
  for (const party of Object.keys(config.parties ?? {})) {
    if (!validName.test(party)) {
      problems.push({ field: `parties.${party}`, message: 'party names are lowercase letters, digits, "-" or "_"' });
    } else if (party === "main") {
      problems.push({ field: "parties.main", message: 'the "main" party is the "main" field; pick another name' });
    }
  }
  if (config.port !== undefined && (!Number.isInteger(config.port) || config.port < 0 || config.port > 65535)) {
    problems.push({ field: "port", message: `expected an integer 0-65535, got ${config.port}` });
  }
  return problems;
}

/** Reads and validates a config file. Every problem is reported at once, as `file: field: message`. */
export function readConfigFile(file: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new CliError("ERR_CONFIG_NOT_FOUND", `Cannot read config file ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  const stripped = stripJsonComments(text);
  try {
    parsed = JSON.parse(stripped);
  } catch (error) {
    const offset = /position (\d+)/.exec((error as Error).message)?.[1];
    const where = offset === undefined ? "" : (({ line, column }) => `:${line}:${column}`)(lineColumn(text, Number(offset)));
    throw new CliError("ERR_CONFIG", `${file}${where}: not valid JSON (${(error as Error).message})`);
  }
  const problems = check(configShape, parsed, "");
  if (problems.length === 0) problems.push(...checkNames(parsed as ConfigFile));
  if (problems.length > 0) {
    const lines = problems.map(({ field, message }) => `  ${field || "(top level)"}: ${message}`);
    throw new CliError("ERR_CONFIG", `Invalid config file ${file}:\n${lines.join("\n")}`);
  }
  return parsed as ConfigFile;
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
