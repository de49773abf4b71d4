/**
 * The DOM-style event surface of a Connection (`addEventListener("message", …)`, `onmessage`).
 * Node's own EventTarget rethrows listener errors as uncaught exceptions, which would take the
 * process down; this one hands every throw to the runtime instead.
 */
import { callUserQuietly } from "./guard.js";

export type ConnectionEventType = "open" | "message" | "close" | "error";

export interface ConnectionEvent extends Event {
  /** `message`: the frame (string for text, ArrayBuffer for binary). */
  readonly data?: unknown;
  /** `close`: the close code and reason. */
  readonly code?: number;
  readonly reason?: string;
  readonly wasClean?: boolean;
  /** `error`: the error. */
  readonly error?: unknown;
}

type Listener = ((event: ConnectionEvent) => unknown) | { handleEvent(event: ConnectionEvent): unknown };
interface Registration {
  listener: Listener;
  once: boolean;
}

export class ConnectionEvents {
  readonly #byType = new Map<string, Registration[]>();
  readonly #handlerProps = new Map<string, ((event: ConnectionEvent) => unknown) | null>();

  constructor(private readonly reportError: (error: unknown) => void) {}

  add(type: string, listener: Listener | null, options?: boolean | AddEventListenerOptions): void {
    if (!listener) return;
    const list = this.#byType.get(type) ?? [];
    if (list.some((r) => r.listener === listener)) return;
    list.push({ listener, once: typeof options === "object" && options.once === true });
    this.#byType.set(type, list);
  }

  remove(type: string, listener: Listener | null): void {
    const list = this.#byType.get(type);
    if (!list || !listener) return;
    this.#byType.set(
      type,
      list.filter((r) => r.listener !== listener),
    );
  }

  /** The `onmessage` / `onclose` / … properties. */
  getHandler(type: string): ((event: ConnectionEvent) => unknown) | null {
    return this.#handlerProps.get(type) ?? null;
  }
  setHandler(type: string, handler: ((event: ConnectionEvent) => unknown) | null): void {
    this.#handlerProps.set(type, typeof handler === "function" ? handler : null);
  }

  /**
   * Calls every listener of `event.type`; a throw (or rejection) goes to `reportError`, the rest still run.
   * Returns the listeners' async work, if any, so the room can wait for it before unloading.
   */
  dispatch(event: ConnectionEvent): Promise<void> | undefined {
    const list = this.#byType.get(event.type) ?? [];
    if (list.some((r) => r.once))
      this.#byType.set(
        event.type,
        list.filter((r) => !r.once),
      );
    const handler = this.#handlerProps.get(event.type);
    const calls: Listener[] = list.map((r) => r.listener);
    if (handler) calls.push(handler);
    let pending: Array<Promise<void>> | undefined;
    for (const listener of calls) {
      const work = callUserQuietly(() => (typeof listener === "function" ? listener(event) : listener.handleEvent(event)), this.reportError);
      if (work) (pending ??= []).push(work);
    }
    return pending && Promise.all(pending).then(() => undefined);
  }

  hasListeners(type: string): boolean {
    return (this.#byType.get(type)?.length ?? 0) > 0 || this.#handlerProps.get(type) != null;
  }
}

export function messageEvent(data: unknown): ConnectionEvent {
  return Object.assign(new Event("message"), { data });
}
export function closeEvent(code: number, reason: string, wasClean: boolean): ConnectionEvent {
  return Object.assign(new Event("close"), { code, reason, wasClean });
}
export function errorEvent(error: unknown): ConnectionEvent {
  return Object.assign(new Event("error"), { error, message: (error as Error | undefined)?.message ?? String(error) });
}
