/**
 * Every mistake of a project's config and command line, collected before anything starts and reported in one
 * `CliError` (grouped by file, then the command line), so one run names them all instead of one per attempt.
 */
import { CliError } from "../errors.js";

/** One mistake in the config file or on the command line: where, which field, what is wrong. */
export interface ConfigProblem {
  /** The config file, or "command line". */
  source: string;
  field: string;
  message: string;
  /** A file the config names does not exist (exit code as for any config mistake, its own error code). */
  missingFile?: boolean;
}

/** Records a problem of one source (a config file, or the command line). */
export type Report = (field: string, message: string, options?: { missingFile?: boolean }) => void;

/**
 * Collects every problem of a project's config before anything starts, so one run reports them all
 * (grouped by file, then the command line) instead of one per attempt.
 */
export class ConfigProblems {
  readonly list: ConfigProblem[] = [];

  /** A `Report` for the problems of `source`. */
  of(source: string): Report {
    return (field, message, options = {}) => void this.list.push({ source, field, message, ...options });
  }

  /** Throws one `CliError` naming every problem, if there is any. */
  throwIfAny(): void {
    if (this.list.length === 0) return;
    const sources = [...new Set(this.list.map((problem) => problem.source))];
    const text = sources.map((source) => {
      const lines = this.list.filter((problem) => problem.source === source).map(({ field, message }) => `  ${field || "(top level)"}: ${message}`);
      return `${source === "command line" ? "Invalid command line" : `Invalid config file ${source}`}:\n${lines.join("\n")}`;
    });
    const code = this.list.every((problem) => problem.missingFile) ? "ERR_ENTRY_NOT_FOUND" : "ERR_CONFIG";
    throw new CliError(code, text.join("\n"));
  }
}
