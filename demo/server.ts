/**
 * The demo's server: an ordinary yparty party, ready to copy into your own project.
 *
 * Every room is a Yjs document: clients sync over `ws://HOST/parties/main/{room}`, the document is kept on
 * disk (appended as it changes), and `GET /parties/main/{room}` answers the document as JSON.
 */
import type * as Party from "yparty/server";
import { YServer } from "yparty/yjs";

export default class DemoRoom extends YServer {
  /** Keep documents in yparty's store (LevelDB by default), compacted into one snapshot now and then. */
  static override persist = { mode: "snapshot" } as const;
  static override gc = true;
  /** `onSave` runs one second after the last edit (and at most every five seconds while people type). */
  static override callbackOptions = { debounceWait: 1_000, debounceMaxWait: 5_000 };

  /** A place for your own side effects: indexing, notifications, webhooks. Here: room statistics. */
  override async onSave(): Promise<void> {
    const words = this.document.getText("code").toString().split(/\s+/).filter(Boolean).length;
    const chat = this.document.getArray("chat").length;
    await this.room.storage.put("stats", { words, chat, savedAt: new Date().toISOString() });
  }

  /** Clients may ask for those statistics with a custom message (`provider.sendMessage("stats")`). */
  override onCustomMessage(connection: Party.Connection, message: string): void {
    if (message !== "stats") return;
    void this.room.storage.get("stats").then((stats) => this.sendCustomMessage(connection, JSON.stringify(stats ?? null)));
  }
}
