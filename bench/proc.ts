/**
 * CPU time and resident memory of a process, read from /proc (Linux). Both peers and yparty run as child
 * processes, so the same numbers are read the same way for each.
 */
import { readFileSync } from "node:fs";

/** Clock ticks per second of utime/stime in /proc/<pid>/stat (USER_HZ, 100 on Linux everywhere). */
const TICKS_PER_SECOND = 100;

/** CPU seconds the process has used so far, in user space (JS, V8, libraries) and in the kernel (syscalls). */
export function cpuSplit(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of stat, i.e. 11 and 12 after "pid (comm)".
  return { user: Number(fields[11]) / TICKS_PER_SECOND, system: Number(fields[12]) / TICKS_PER_SECOND };
}

/** User + system CPU seconds the process has used so far. */
export function cpuSeconds(pid: number): number {
  const { user, system } = cpuSplit(pid);
  return user + system;
}

/** Resident set size in bytes (VmRSS of /proc/<pid>/status). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match?.[1]) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/** CPU this (harness) process used since `before` (a `process.cpuUsage()`), in % of one core over `wallMs`. */
export function cpuPercentSince(before: NodeJS.CpuUsage, wallMs: number): number {
  const used = process.cpuUsage(before);
  return ((used.user + used.system) / 1000 / wallMs) * 100;
}

/** Write syscalls and bytes the process has made so far (`syscw`, `wchar` of /proc/<pid>/io): sends to sockets included. */
export function writeCalls(pid: number): { calls: number; bytes: number } {
  const io = readFileSync(`/proc/${pid}/io`, "utf8");
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(io)?.[1] ?? Number.NaN);
  return { calls: field("syscw"), bytes: field("wchar") };
}
