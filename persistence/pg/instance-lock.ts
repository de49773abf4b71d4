/**
 * Who else uses the database. A standalone server holds `pg_try_advisory_lock(hashtext('yparty:single'))` on a
 * connection of its own for as long as it runs; a cluster node holds the same lock shared. So a second standalone
 * server, or a standalone server next to a cluster, fails to open with ERR_STORAGE_LOCKED, while cluster nodes open
 * together. If the connection is lost (PostgreSQL restarted) the lock is taken again when it comes back; meanwhile the
 * fences keep writes safe whatever happens (a second server would claim rooms, refusing this one's writes).
 */
import type { Client, ClientConfig } from "pg";
import { StorageError, type StorageWarning } from "../types.js";
import { backoffMs } from "./transient.js";

export type LockMode = "exclusive" | "shared";

type ClientClass = new (config: ClientConfig) => Client;

export class InstanceLock {
  #client: Client | undefined;
  #closed = false;
  #retry: NodeJS.Timeout | undefined;

  private constructor(
    private readonly Client: ClientClass,
    private readonly config: ClientConfig,
    private readonly mode: LockMode,
    private readonly location: string,
    private readonly onWarning: ((warning: StorageWarning) => void) | undefined,
  ) {}

  /** Takes the lock; rejects with ERR_STORAGE_LOCKED when another process holds it in a conflicting mode. */
  static async take(
    Client: ClientClass,
    config: ClientConfig,
    mode: LockMode,
    location: string,
    onWarning?: (warning: StorageWarning) => void,
  ): Promise<InstanceLock> {
    const lock = new InstanceLock(Client, config, mode, location, onWarning);
    if (!(await lock.#take())) throw lockedError(location, mode);
    return lock;
  }

  /** Whether the lock was taken; a connection failure rejects. */
  async #take(): Promise<boolean> {
    const client = new this.Client(this.config);
    client.on("error", () => undefined); // reported through "end" below
    try {
      await client.connect();
      const fn = this.mode === "exclusive" ? "pg_try_advisory_lock" : "pg_try_advisory_lock_shared";
      const { rows } = await client.query<{ locked: boolean }>(`SELECT ${fn}(hashtext('yparty:single')) AS locked`);
      if (!rows[0]?.locked) {
        await client.end();
        return false;
      }
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.#client = client;
    client.once("end", () => this.#lost(client));
    return true;
  }

  #lost(client: Client): void {
    if (this.#closed || this.#client !== client) return;
    this.#client = undefined;
    this.onWarning?.({
      code: "ERR_STORAGE_LOCKED",
      message: `Lost the connection holding ${this.location}'s instance lock; taking it again when PostgreSQL answers`,
    });
    this.#retake(1);
  }

  #retake(attempt: number): void {
    this.#retry = setTimeout(() => {
      this.#take().then(
        (taken) => {
          if (!taken) this.onWarning?.({ code: "ERR_STORAGE_LOCKED", level: "error", message: lockedError(this.location, this.mode).message });
          else if (this.#closed) void this.#client?.end();
        },
        () => {
          if (!this.#closed) this.#retake(attempt + 1);
        },
      );
    }, backoffMs(attempt));
    this.#retry.unref();
  }

  async release(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined); // ending the session releases its advisory locks
  }
}

function lockedError(location: string, mode: LockMode): StorageError {
  return new StorageError(
    "ERR_STORAGE_LOCKED",
    mode === "exclusive"
      ? `${location} is in use by another yparty process (start both with --cluster)`
      : `${location} is in use by a standalone yparty process (stop it, or start it with --cluster too)`,
  );
}
