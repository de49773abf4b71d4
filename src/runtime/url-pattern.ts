/**
 * `URLPattern`, a global on workerd (PartyKit) and on Node from 23.8, but not on Node 20: party code that uses it
 * (cursor-party checks its `WEBSITES` with it) would fail with `URLPattern is not defined`. Where it is missing, the
 * global is defined as a getter that loads the polyfill on first use, so no server pays for it unless its code
 * names it, and no bundle carries it. A value the code assigns itself (its own polyfill) wins.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

export function provideUrlPattern(): void {
  if ("URLPattern" in globalThis) return;
  const settle = (value: unknown): void => {
    Object.defineProperty(globalThis, "URLPattern", { value, writable: true, configurable: true, enumerable: false });
  };
  Object.defineProperty(globalThis, "URLPattern", {
    configurable: true,
    enumerable: false,
    get() {
      const { URLPattern } = require("urlpattern-polyfill/urlpattern") as { URLPattern: unknown };
      settle(URLPattern);
      return URLPattern;
    },
    set: settle,
  });
}
