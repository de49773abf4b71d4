import WebSocket from "ws";

/** A `ws` client that records text messages and its close, each waitable with a timeout. */
export class TextClient {
  readonly socket: WebSocket;
  readonly messages: string[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: Array<() => void> = [];

  constructor(url: string) {
    this.socket = new WebSocket(url);
    this.opened = new Promise((resolve, reject) => {
      this.socket.once("open", () => resolve());
      this.socket.once("error", reject);
    });
    this.closed = new Promise((resolve) => this.socket.once("close", (code, reason) => resolve({ code, reason: reason.toString() })));
    this.socket.on("message", (data, isBinary) => {
      if (!isBinary) this.messages.push(data.toString());
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  async next(predicate: (message: string) => boolean, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(predicate);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`No matching message; got ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.close();
  }
}

export function wsUrl(httpUrl: string, path: string): string {
  return httpUrl.replace(/^http/, "ws") + path;
}

/** Resolves with `promise`'s value, or rejects after `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]);
}

/** A TextClient closed after the test. */
export function connectText(defer: (cleanup: () => unknown) => void, url: string): TextClient {
  const client = new TextClient(url);
  defer(() => client.close());
  return client;
}
