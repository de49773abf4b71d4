/**
 * The admin token and the admin file: a running server writes its URL, token and pid into its data folder (mode
 * 0600), so that `yparty list/tail/delete/export` run beside it find it without flags; requests are checked against
 * the token in constant time.
 */
import { randomBytes } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { makeDataFolder } from "../../../persistence/make-folder.js";
import path from "node:path";
import { sameSecret } from "../../runtime/index.js";
import { CliDefaults } from "../defaults.js";

/** What a running server leaves in its data folder so `yparty list/tail/delete/export` can reach it. */
export interface AdminFile {
  url: string;
  token: string;
  pid: number;
}

export function generateToken(): string {
  return randomBytes(CliDefaults.adminTokenBytes).toString("base64url");
}

/** Whether a request's bearer token is the server's, compared in constant time (sameSecret: its length too). */
export function tokenMatches(header: string | null, token: string): boolean {
  const given = /^Bearer (.+)$/i.exec(header ?? "")?.[1];
  return given !== undefined && sameSecret(given, token);
}

export function adminFilePath(dataDir: string): string {
  return path.join(dataDir, CliDefaults.adminFile);
}

/** Written with mode 0600: the token is as good as a password for the server's data. */
export async function writeAdminFile(dataDir: string, content: AdminFile): Promise<string> {
  await makeDataFolder(dataDir); // with --store it holds only this file, and is made here
  const file = adminFilePath(dataDir);
  await writeFile(file, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  return file;
}

export async function readAdminFile(dataDir: string): Promise<AdminFile | undefined> {
  try {
    const parsed = JSON.parse(await readFile(adminFilePath(dataDir), "utf8")) as Partial<AdminFile>;
    return typeof parsed.url === "string" && typeof parsed.token === "string" ? { url: parsed.url, token: parsed.token, pid: Number(parsed.pid) } : undefined;
  } catch {
    return undefined;
  }
}

/** Removes the admin file, but only if it is still ours (another server may have started since). */
export async function removeAdminFile(dataDir: string, token: string): Promise<void> {
  const current = await readAdminFile(dataDir);
  if (current?.token === token) await rm(adminFilePath(dataDir), { force: true });
}
