/**
 * The port, settled before anything is built (a build command and the bundles take seconds): a port another program
 * holds fails the start at once, not after the build. The real bind (the server's listen) still decides: a port taken
 * during the build fails there, with the same message.
 */
import { createServer as createNetServer } from "node:net";

export interface ClaimedPort {
  port: number;
  /** Lets go of a held port: right before the server listens on it. */
  release(): Promise<void>;
}

/**
 * `--port 0`: a free port, picked and held until `release()`, because the bundles carry it (`PARTYKIT_HOST`) and the
 * server listens only after them (PartyKit's dev picks its port before building too, with get-port). A given port is
 * only tried: bound and let go at once (a listening socket leaves no TIME_WAIT, so the server binds it again), not
 * held through the build, where a client connecting would wait for an answer instead of being refused. Rejects with
 * the bind's error (EADDRINUSE, EACCES, EADDRNOTAVAIL), as listen would.
 */
export async function claimPort(host: string, port: number): Promise<ClaimedPort> {
  const holder = createNetServer();
  await new Promise<void>((resolve, reject) => {
    holder.once("error", reject);
    holder.listen(port, host, () => resolve());
  });
  const release = () => new Promise<void>((resolve) => (holder.listening ? holder.close(() => resolve()) : resolve()));
  if (port !== 0) {
    await release();
    return { port, release: async () => {} };
  }
  return { port: (holder.address() as { port: number }).port, release };
}
