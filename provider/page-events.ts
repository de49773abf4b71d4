/**
 * What the page tells a provider about its network and its life: `offline`/`online` (`navigator.onLine` changed),
 * `pagehide`/`pageshow` (`persisted`: the page goes into, or comes back from, the back/forward cache) and
 * `visibilitychange` (a background tab, a minimized window: `pageIsHidden`). Listens on the
 * global scope where it is an event target (windows, workers); Node has none, and nothing is registered there.
 */
export interface PageEventHooks {
  offline(): void;
  online(): void;
  /** The page is hidden: unloaded, or (`persisted`) frozen into the back/forward cache. */
  hidden(persisted: boolean): void;
  /** The page came back from the back/forward cache. */
  restored(): void;
  /** The page was hidden or shown (`visibilitychange`, fired at the document, bubbles up to the window). */
  visibilityChanged(): void;
}

/** Registers the listeners; returns what removes them. */
export function watchPage(hooks: PageEventHooks): () => void {
  const scope = globalThis as Partial<EventTarget>;
  if (typeof scope.addEventListener !== "function" || typeof scope.removeEventListener !== "function") return () => {};
  const persisted = (event: Event) => (event as Event & { persisted?: boolean }).persisted === true;
  const listeners: Record<string, (event: Event) => void> = {
    offline: () => hooks.offline(),
    online: () => hooks.online(),
    pagehide: (event) => hooks.hidden(persisted(event)),
    pageshow: (event) => {
      if (persisted(event)) hooks.restored();
    },
    visibilitychange: () => hooks.visibilityChanged(),
  };
  for (const [name, listener] of Object.entries(listeners)) scope.addEventListener(name, listener);
  return () => {
    for (const [name, listener] of Object.entries(listeners)) scope.removeEventListener?.(name, listener);
  };
}

/**
 * The page is hidden (a background tab, a minimized window): browsers then throttle its timers (Chrome runs repeating
 * ones once a minute after 5 min). False where there is no document (Node, workers).
 */
export const pageIsHidden = (): boolean => (globalThis as { document?: { visibilityState?: string } }).document?.visibilityState === "hidden";
