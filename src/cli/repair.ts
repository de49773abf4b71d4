/**
 * `yparty repair`: accepts what is left of a damaged data folder (the server stopped). Runs LevelDB's own repair
 * when the folder cannot open or some data cannot be read, then lets every damaged document load with what it
 * holds. Exit 0 when the folder is clean afterwards, 1 when something still cannot be read.
 */
import { repairFolder, isClean } from "../../persistence/index.js";
import { type FolderCommandOptions, formatFinding, formatReport, progressTo, TORN_WRITES_ONLY, warnTo, withFolder } from "./doctor.js";
import { ExitCode } from "./errors.js";

const DROPPED =
  "LevelDB dropped the above from its write-ahead log as it opened the folder: writes it had acknowledged may be lost " +
  "(room data too, which no document record names; documents known short are accepted below).\n";

export async function repairCommand({ dir, out = process.stdout, err = process.stderr }: FolderCommandOptions): Promise<number> {
  err.write(`Repairing ${dir} …\n`);
  const report = await withFolder(dir, () => repairFolder(dir, { onProgress: progressTo(err), onWarning: warnTo(err) }));
  if (report.levelDbRepaired) out.write(`LevelDB repair ran: tables rebuilt from what is readable (the rest is in ${dir}/lost).\n`);
  for (const line of report.dropped) out.write(`LEVELDB     ${line}\n`);
  if (report.dropped.length > 0) out.write(report.onlyTornWrites ? TORN_WRITES_ONLY : DROPPED);
  for (const finding of report.accepted) out.write(`ACCEPTED    ${formatFinding(finding).replace(/^DAMAGED\s+/, "")}\n`);
  if (!isClean(report.after)) {
    out.write(formatReport({ ...report.after, dropped: [] }));
    out.write(`Some data still cannot be read (above); restore those documents from a backup.\n`);
    return ExitCode.Failure;
  }
  out.write(`${report.after.documents} document(s) checked: ${report.accepted.length} accepted with what is left, the folder is clean.\n`);
  return ExitCode.Ok;
}
