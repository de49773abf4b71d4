/**
 * A value per document, keyed as documents are named across instances: the store (`scope`, held weakly, so a closed
 * store's entries go with it) and the document's name in it. Live sessions, stops under way and change-callback runs
 * left behind each keep one.
 */

/** Where a document is named: its store and name, or the room itself when it has no store. */
export interface DocumentKey {
  scope: object;
  name: string;
}

export class DocumentTable<V> {
  readonly #byScope = new WeakMap<object, Map<string, V>>();

  get({ scope, name }: DocumentKey): V | undefined {
    return this.#byScope.get(scope)?.get(name);
  }

  set({ scope, name }: DocumentKey, value: V): void {
    let byName = this.#byScope.get(scope);
    if (!byName) this.#byScope.set(scope, (byName = new Map()));
    byName.set(name, value);
  }

  /** Removes the entry of `key` only if it is still `value`: a newer one set meanwhile stays. */
  deleteIf({ scope, name }: DocumentKey, value: V): void {
    const byName = this.#byScope.get(scope);
    if (byName?.get(name) === value) byName.delete(name);
  }
}
