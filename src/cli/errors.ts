/** Exit codes of the `yparty` binary (documented in docs/cli.md). */
export const ExitCode = {
  Ok: 0,
  /** The server or a command failed while running (port taken, storage locked, server unreachable). */
  Failure: 1,
  /** The command line or the config file is wrong; nothing was started. */
  Usage: 2,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type CliErrorCode =
  | "ERR_USAGE"
  | "ERR_CONFIG"
  | "ERR_CONFIG_NOT_FOUND"
  | "ERR_ENTRY_NOT_FOUND"
  | "ERR_BAD_ENTRY"
  | "ERR_BUILD"
  | "ERR_BUILD_COMMAND"
  | "ERR_NOT_CONFIRMED"
  | "ERR_ADMIN_UNREACHABLE"
  | "ERR_ADMIN_REQUEST"
  | "ERR_LISTEN"
  | "ERR_STORAGE"
  | "ERR_OUTPUT";

/** Exit status for each error code: usage and config mistakes are 2, everything else 1. */
const exitCodeOf: Record<CliErrorCode, ExitCode> = {
  ERR_USAGE: ExitCode.Usage,
  ERR_CONFIG: ExitCode.Usage,
  ERR_CONFIG_NOT_FOUND: ExitCode.Usage,
  ERR_ENTRY_NOT_FOUND: ExitCode.Usage,
  ERR_BAD_ENTRY: ExitCode.Failure,
  ERR_BUILD: ExitCode.Failure,
  ERR_BUILD_COMMAND: ExitCode.Failure,
  ERR_NOT_CONFIRMED: ExitCode.Usage,
  ERR_ADMIN_UNREACHABLE: ExitCode.Failure,
  ERR_ADMIN_REQUEST: ExitCode.Failure,
  ERR_LISTEN: ExitCode.Failure,
  ERR_STORAGE: ExitCode.Failure,
  ERR_OUTPUT: ExitCode.Failure,
};

/** An error meant for the person at the terminal: printed as its message only, never with a stack. */
export class CliError extends Error {
  override readonly name = "CliError";
  readonly exitCode: ExitCode;
  constructor(
    readonly code: CliErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.exitCode = exitCodeOf[code];
  }
}

export function usageError(message: string): CliError {
  return new CliError("ERR_USAGE", `${message}\nRun "yparty --help" for usage.`);
}
