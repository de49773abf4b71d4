/**
 * Relayed sockets whose owner stopped holding the room: a frozen process (SIGSTOP, a stalled VM), or one cut off from
 * Redis, keeps its TCP connections open, and the clients relayed to it through this node would hang for as long as it
 * does (their only way out a provider's own silence timeout, 30 s for y-websocket). One watch per room and owner looks
 * at the lease every TTL/2 and cuts them (the client sees 1006 and reconnects, reaching the next owner) once another
 * node holds the room, or none has for a whole TTL (the owner's renewal takes a key Redis lost again within TTL/3).
 */
import type { Logger } from "../runtime/index.js";
import type { Leases } from "./leases.js";

interface Watched {
  name: string;
  owner: string;
  cuts: Set<() => void>;
  timer: NodeJS.Timeout;
  vacantSince: number | undefined;
  checking: boolean;
}

export class RelayWatch {
  readonly #watched = new Map<string, Watched>();

  constructor(
    private readonly leases: Leases,
    private readonly logger: Logger,
  ) {}

  /** Watches a relay of room `name` to `owner`; `cut` ends it. Returns what to call when the relay ended. */
  add(name: string, owner: string, cut: () => void): () => void {
    const key = `${name} ${owner}`;
    let watched = this.#watched.get(key);
    if (!watched) {
      const created: Watched = { name, owner, cuts: new Set(), timer: undefined!, vacantSince: undefined, checking: false };
      created.timer = setInterval(() => void this.#check(created), Math.max(100, this.leases.ttlMs / 2));
      created.timer.unref();
      this.#watched.set(key, created);
      watched = created;
    }
    const entry = watched;
    entry.cuts.add(cut);
    return () => {
      entry.cuts.delete(cut);
      if (entry.cuts.size > 0 || this.#watched.get(key) !== entry) return;
      clearInterval(entry.timer);
      this.#watched.delete(key);
    };
  }

  async #check(watched: Watched): Promise<void> {
    if (watched.checking) return;
    watched.checking = true;
    try {
      const holder = await this.leases.holder(watched.name).catch(() => watched.owner); // Redis unreachable: no news
      if (holder === watched.owner) {
        watched.vacantSince = undefined;
        return;
      }
      if (holder === undefined) {
        watched.vacantSince ??= performance.now();
        if (performance.now() - watched.vacantSince < this.leases.ttlMs) return;
      }
      this.logger.warn("cluster.relay_cut", {
        code: "ERR_ROOM_UNAVAILABLE",
        room: watched.name,
        owner: watched.owner,
        holder: holder ?? null,
        relays: watched.cuts.size,
        message: "the node relayed to no longer holds the room: its relayed clients reconnect to the next owner",
      });
      for (const cut of [...watched.cuts]) cut();
    } finally {
      watched.checking = false;
    }
  }
}
