/**
 * `yparty doctor`: checks a data folder offline (the server stopped) and lists every document known to miss
 * acknowledged updates or that cannot be read. Exit 0 when clean, 1 when anything is found.
 */
import {
  checkFolder,
  describeDamage,
  heldByYparty,
  isClean,
  StorageError,
  type DocumentFinding,
  type FolderReport,
  type StorageWarning,
} from "../../persistence/index.js";
import { CliError, ExitCode } from "./errors.js";

export interface FolderCommandOptions {
  dir: string;
  out?: NodeJS.WritableStream;
  /** Progress lines go here (a big folder takes a while). */
  err?: NodeJS.WritableStream;
}

/** Said after LevelDB's lines when all it dropped was the torn end of a write that failed (leveldb-log.ts). */
export const TORN_WRITES_ONLY =
  "LevelDB dropped the torn end of a write that failed (a full disk) with what followed it in its log: nothing acknowledged was lost.\n";

export async function doctorCommand({ dir, out = process.stdout, err = process.stderr }: FolderCommandOptions): Promise<number> {
  err.write(`Checking ${dir} …\n`);
  const report = await withFolder(dir, () => checkFolder(dir, { onProgress: progressTo(err), onWarning: warnTo(err) }));
  out.write(formatReport(report));
  if (foundNothing(report)) {
    if (report.onlyTornWrites) {
      out.write(TORN_WRITES_ONLY);
    }
    out.write(`${report.documents} document(s) checked: no damage found.\n`);
    return ExitCode.Ok;
  }
  const damaged = report.findings.length;
  out.write(
    `${report.documents} document(s) checked: ${damaged} damaged or unreadable.\n` +
      `Keep a copy of the folder, then run "yparty repair --persist ${dir}" (server stopped) to serve what is left.\n`,
  );
  return ExitCode.Failure;
}

/** Nothing damaged or unreadable, and LevelDB dropped nothing from its log but the torn end of a write that failed. */
export const foundNothing = (report: FolderReport): boolean => isClean(report) && (report.dropped.length === 0 || report.onlyTornWrites === true);

/** One line per finding, and what LevelDB said it dropped. */
export function formatReport(report: FolderReport): string {
  const lines = [
    ...report.dropped.map((line) => `LEVELDB     ${line}`),
    ...report.findings.map(formatFinding),
    ...(report.unreadableRoomData ? [`UNREADABLE  room key-value data: ${report.unreadableRoomData}`] : []),
  ];
  return lines.map((line) => `${line}\n`).join("");
}

export function formatFinding(finding: DocumentFinding): string {
  if (finding.damage) return `DAMAGED     ${finding.name}: ${describeDamage(finding.damage)}`;
  return `UNREADABLE  ${finding.name}: ${finding.unreadable}`;
}

/** A progress line at most every second, for folders big enough to need one. */
export function progressTo(err: NodeJS.WritableStream): (checked: number, total: number) => void {
  return (checked, total) => err.write(`  checked ${checked} of ${total} documents\n`);
}

/** A storage warning on its own line, with its code, as `yparty start` logs it (`storage.warning`). */
export function warnTo(err: NodeJS.WritableStream): (warning: StorageWarning) => void {
  return (warning) => err.write(`warning ${warning.code}: ${warning.message}\n`);
}

/** Runs `work` on the folder; a folder a server holds, or that is missing, is a one-line error. */
export async function withFolder<T>(dir: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof StorageError && heldByYparty(error)) {
      throw new CliError("ERR_STORAGE", `${dir} is in use by a running server: stop it first (doctor and repair work offline).`, { cause: error });
    }
    // Not a data folder, or one whose error says what to run: said as it is.
    if (
      error instanceof StorageError &&
      (error.code === "ERR_STORAGE_INVALID_ARGUMENT" ||
        error.code === "ERR_STORAGE_LOCKED" || // by a program that is not yparty, named
        error.code === "ERR_STORAGE_CORRUPT" ||
        error.code === "ERR_STORAGE_FORMAT" ||
        error.code === "ERR_STORAGE_NOT_WRITABLE" ||
        error.code === "ERR_STORAGE_FULL")
    ) {
      throw new CliError("ERR_STORAGE", error.message, { cause: error });
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliError("ERR_STORAGE", `Could not open ${dir}: ${reason}. "yparty repair" runs LevelDB's own repair on a folder that cannot open.`, {
      cause: error,
    });
  }
}
