/**
 * The command line read into what to do (help, version, or a command with its flags and arguments) against the
 * command table (commands.ts), with `node:util`'s `parseArgs`. Mistakes are usage errors (exit 2) that suggest the
 * word meant, or what to use instead of a PartyKit word.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { commands, type CommandName, type CommandSpec } from "./commands.js";
import { usageError } from "./errors.js";
import { partykitCommand, partykitFlag } from "./partykit-words.js";
import { closest } from "./suggest.js";

export type ParsedValues = Record<string, string | boolean | string[] | undefined>;

export type Invocation =
  | { kind: "help"; command?: CommandName /** No command given at all: help, but a usage exit code. */; missingCommand?: boolean }
  | { kind: "version" }
  | { kind: "run"; command: CommandName; positionals: string[]; values: ParsedValues };

function isCommand(name: string): name is CommandName {
  return Object.hasOwn(commands, name);
}

function unknownCommand(name: string): Error {
  const instead = partykitCommand(name);
  if (instead) return usageError(instead);
  const guess = closest(name, Object.keys(commands));
  return usageError(`Unknown command "${name}".${guess ? ` Did you mean "${guess}"?` : ""}`);
}

/** " Did you mean --port?" for a mistyped flag among `flags` (names without dashes), or "". */
function flagGuess(flag: string, flags: Iterable<string>): string {
  const guess = closest(flag.replace(/^-+/, ""), flags);
  return guess ? ` Did you mean --${guess}?` : "";
}

/** A word that continues a variadic flag: `KEY=VALUE`, not a flag itself. */
const keyValueWord = /^[^-=][^=]*=/;

/**
 * Spells variadic flags out as repeated ones (`--var A=1 B=2` → `--var A=1 --var B=2`), so the entry file
 * after them stays a positional: only `KEY=VALUE` words continue the flag.
 */
function expandVariadic(spec: CommandSpec, argv: string[]): string[] {
  const variadic = new Map<string, string>();
  for (const [name, option] of Object.entries(spec.options)) {
    if (!option.variadic) continue;
    variadic.set(`--${name}`, name);
    if (option.short) variadic.set(`-${option.short}`, name);
  }
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === "--") {
      out.push(...argv.slice(i));
      break;
    }
    out.push(word);
    const inline = /^(--[^=]+)=/.exec(word)?.[1];
    const name = variadic.get(inline ?? word);
    if (name === undefined) continue;
    if (inline === undefined && i + 1 < argv.length) out.push(argv[++i]!);
    while (i + 1 < argv.length && keyValueWord.test(argv[i + 1]!)) out.push(`--${name}`, argv[++i]!);
  }
  return out;
}

/**
 * PartyKit's `--persist [path]` may come without a path (`partykit dev --persist`: persist where it would anyway);
 * dev and start persist by default, so a bare `--persist` is dropped rather than taking the next flag as its folder.
 */
function dropBarePersist(spec: CommandSpec, argv: string[]): string[] {
  if (spec.name !== "dev" && spec.name !== "start") return argv;
  const end = argv.indexOf("--");
  return argv.filter((word, i) => word !== "--persist" || (end !== -1 && i > end) || (i + 1 < argv.length && !argv[i + 1]!.startsWith("-")));
}

function parseCommand(spec: CommandSpec, argv: string[]): { positionals: string[]; values: ParsedValues } {
  const options: ParseArgsConfig["options"] = {};
  for (const [name, option] of Object.entries(spec.options)) {
    options[name] = { type: option.type, ...(option.short ? { short: option.short } : {}), ...(option.multiple ? { multiple: true } : {}) };
  }
  try {
    const { values, positionals } = parseArgs({ args: expandVariadic(spec, dropBarePersist(spec, argv)), options, allowPositionals: true, strict: true });
    return { values: values as ParsedValues, positionals };
  } catch (error) {
    // node:util reports unknown flags and missing values with a readable message; keep it, add the command.
    const message = error instanceof Error ? error.message.replace(/\. To specify a positional.*$/s, ".") : String(error);
    const unknown = /^Unknown option '([^']+)'/.exec(message)?.[1];
    const instead = unknown === undefined ? undefined : partykitFlag(unknown);
    if (instead) throw usageError(`yparty ${spec.name}: ${instead}`);
    throw usageError(`yparty ${spec.name}: ${message}${unknown ? flagGuess(unknown, Object.keys(spec.options)) : ""}`);
  }
}

/** Reads `argv` (without node and the script) into what to do. Throws a usage `CliError` (exit 2). */
export function parseInvocation(argv: string[]): Invocation {
  const [first, ...rest] = argv;
  if (first === undefined || first === "--help" || first === "-h" || first === "help") {
    const topic = rest[0];
    if (first === "help" && topic !== undefined) {
      if (!isCommand(topic)) throw unknownCommand(topic);
      return { kind: "help", command: topic };
    }
    return first === undefined ? { kind: "help", missingCommand: true } : { kind: "help" };
  }
  if (first === "--version" || first === "-v") return { kind: "version" };
  if (!isCommand(first)) {
    if (!first.startsWith("-")) throw unknownCommand(first);
    throw usageError(`Unknown option "${first}" before the command.${flagGuess(first, ["help", "version"])}`);
  }
  const spec = commands[first];
  const { values, positionals } = parseCommand(spec, rest);
  if (values.help === true) return { kind: "help", command: first };
  if (positionals.length > spec.maxArgs) {
    throw usageError(`yparty ${first}: unexpected argument "${positionals[spec.maxArgs]}" (usage: yparty ${first} ${spec.args}).`);
  }
  if (positionals.length < spec.minArgs) {
    throw usageError(`yparty ${first}: missing ${spec.args}.`);
  }
  return { kind: "run", command: first, positionals, values };
}

/** `KEY=VALUE` pairs of a repeatable flag into an object; the value may contain `=`. */
export function parseKeyValues(flag: string, pairs: string[] | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const at = pair.indexOf("=");
    if (at <= 0) throw usageError(`--${flag} expects KEY=VALUE, got "${pair}".`);
    result[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return result;
}

/** A port flag: an integer 0..65535. */
export function parsePort(text: string, source: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw usageError(`${source} expects a port number 0-65535, got "${text}".`);
  return port;
}
