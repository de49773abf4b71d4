/**
 * Sessions and fake clients for the DocumentSession tests, tracked so `stopAll()` (in afterEach) destroys the
 * clients and stops the sessions every test made.
 */
import { createLogger, type LogEntry } from "../../../src/runtime/log.js";
import { DocumentSession, type SessionOptions } from "../../../src/yjs/session.js";
import { FakeClient, withTimeout } from "./fake-client.js";

export const sessions: DocumentSession[] = [];
export const clients: FakeClient[] = [];

/** A debug-level logger that keeps its entries, and waits for the next entry of an event. */
export function capturingLogger() {
  const entries: LogEntry[] = [];
  const logger = createLogger({ level: "debug", write: () => {} });
  logger.subscribe((entry) => entries.push(entry));
  const next = (event: string, ms = 5_000) =>
    withTimeout(
      new Promise<LogEntry>((resolve) => {
        const stop = logger.subscribe((e) => e.event === event && (stop(), resolve(e)));
      }),
      ms,
      `log ${event}`,
    );
  return { logger, entries, next };
}

/** A loaded session with a quiet logger (options win), tracked. */
export async function openSession(options: Partial<SessionOptions> & Pick<SessionOptions, "room" | "gc">): Promise<DocumentSession> {
  const session = new DocumentSession({ logger: capturingLogger().logger, ...options });
  sessions.push(session);
  await session.load();
  return session;
}

/** A fake client attached to `session` that has done its handshake, tracked. */
export function connect(session: DocumentSession, id: string, ack = false): FakeClient {
  const client = new FakeClient(session, id);
  clients.push(client);
  session.attach(client, { ack });
  client.handshake();
  return client;
}

export async function stopAll(): Promise<void> {
  for (const client of clients.splice(0)) client.destroy();
  await Promise.all(sessions.splice(0).map((s) => s.stop()));
}
