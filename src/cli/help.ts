/**
 * The text of `yparty --help` and `yparty <command> --help`, written from the command table (commands.ts), so help
 * lists exactly the flags the parser takes.
 */
import { commands, type CommandSpec, type OptionSpec } from "./commands.js";
import { CliDefaults } from "./defaults.js";

function flagLabel(name: string, spec: OptionSpec): string {
  const short = spec.short ? `-${spec.short}, ` : "    ";
  return `${short}--${name}${spec.value ? ` ${spec.value}` : ""}`;
}

function table(rows: Array<[string, string]>): string[] {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
}

export function commandHelp(spec: CommandSpec): string {
  const usage = `Usage: yparty ${spec.name}${spec.args ? ` ${spec.args}` : ""} [options]`;
  const rows = Object.entries(spec.options)
    .filter(([, option]) => !option.hidden)
    .map(([name, option]): [string, string] => [flagLabel(name, option), option.description]);
  return [
    usage,
    "",
    `${spec.summary[0]!.toUpperCase()}${spec.summary.slice(1)}.`,
    "",
    "Options:",
    ...table(rows),
    ...(spec.notes ? ["", ...spec.notes] : []),
    "",
  ].join("\n");
}

export function mainHelp(version: string): string {
  const rows = Object.values(commands).map((spec): [string, string] => [`${spec.name}${spec.args ? ` ${spec.args}` : ""}`, spec.summary]);
  return [
    `yparty ${version}: a self-hosted, PartyKit-compatible realtime server with Yjs collaboration at its heart.`,
    "",
    "Usage: yparty <command> [options]",
    "",
    "Commands:",
    ...table(rows),
    "",
    "Run 'yparty <command> --help' for a command's options.",
    "",
    `Quick start: 'yparty dev' serves every room as a persisted Yjs document on http://${CliDefaults.host}:${CliDefaults.port}.`,
    "Config: yparty.json (partykit.json is read too). Exit codes: 0 ok, 1 runtime failure, 2 bad usage or config.",
    "",
  ].join("\n");
}
