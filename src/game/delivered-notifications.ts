/**
 * The notifications a session has passed to its client, by id. A player room sends its unread notifications to every
 * connection it is opened with; after a reload (`yparty dev`) the session's link opens again while the client's socket
 * stayed open, and the client had those already. Each notification reaches a session once.
 */

/** A `notification.new` frame as the player room writes it (`envelopeJson`: no cid, the id first in the payload). */
const NOTIFICATION_ID = /^\{"type":"notification\.new","payload":\{"id":"([^"\\]*)"/;

export class DeliveredNotifications {
  readonly #ids = new Set<string>();

  /** `keep`: how many ids to remember (a player room keeps at most as many notifications). */
  constructor(private readonly keep: number) {}

  /** False for a `notification.new` this session passed on before; any other frame is true. Remembers the id. */
  firstTime(frame: string): boolean {
    const id = NOTIFICATION_ID.exec(frame)?.[1];
    if (id === undefined) return true;
    if (this.#ids.has(id)) return false;
    this.#ids.add(id);
    if (this.#ids.size > this.keep) this.#ids.delete(this.#ids.values().next().value!);
    return true;
  }
}
