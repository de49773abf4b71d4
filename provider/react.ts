/**
 * `yparty/react`: `useYProvider`, the hook of y-partykit and y-partyserver, safe under StrictMode.
 *
 * The provider is made once per (host, party, prefix, room, doc) and kept in a ref, so StrictMode's double
 * render does not build a second one (a `useState` initializer would run twice). The effect connects; its
 * cleanup disconnects and, unless the effect runs again in the same commit (StrictMode's simulated
 * unmount), destroys the provider in a microtask. Since the socket opens only after `params` resolve (a
 * microtask later), StrictMode's connect → disconnect → connect opens exactly one socket.
 */
import { useEffect, useReducer, useRef } from "react";
import type * as Y from "yjs";
import { ProviderDefaults } from "./defaults.js";
import { YPartyKitProvider } from "./provider.js";
import type { YPartyKitProviderOptions } from "./types.js";

export interface UseYProviderOptions {
  /** Defaults to the page's host (`window.location.host`). */
  host?: string | undefined;
  room: string;
  party?: string;
  prefix?: string;
  doc?: Y.Doc;
  options?: YPartyKitProviderOptions;
}

interface Held {
  key: string;
  doc: Y.Doc | undefined;
  provider: YPartyKitProvider;
  /** Effects currently holding the provider; 0 after a cleanup means "maybe unmounted". */
  holders: number;
  /** An effect ran for it: it lives in a real renderer, not in a server render. */
  claimed: boolean;
}

/**
 * Server rendering runs no effects, so nothing would ever destroy a provider made there (nor its
 * Awareness timer). Without a window, one no effect has claimed after a grace period is destroyed; the
 * timer does not hold the process open. Renderers without a window that do run effects (Ink) claim it first.
 */
function destroyUnlessClaimed(held: Held): void {
  const timer = setTimeout(() => held.claimed || held.provider.destroy(), ProviderDefaults.unclaimedWithoutWindowMs);
  (timer as { unref?: () => void }).unref?.();
}

const defaultHost = (): string => (typeof window !== "undefined" ? window.location.host : "localhost:1999");

function create(options: UseYProviderOptions, key: string): Held {
  const provider = new YPartyKitProvider(options.host ?? defaultHost(), options.room, options.doc, {
    party: options.party,
    prefix: options.prefix,
    ...options.options,
    connect: false,
  });
  return { key, doc: options.doc, provider, holders: 0, claimed: false };
}

export function useYProvider(options: UseYProviderOptions): YPartyKitProvider {
  const key = JSON.stringify([options.host ?? defaultHost(), options.party, options.prefix, options.room]);
  const held = useRef<Held | null>(null);
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  if (!held.current || held.current.key !== key || held.current.doc !== options.doc || held.current.provider.destroyed) {
    held.current = create(options, key);
    if (typeof window === "undefined") destroyUnlessClaimed(held.current);
  }
  const current = held.current;

  useEffect(() => {
    if (current.provider.destroyed) {
      // Reattached after a real unmount (e.g. <Activity> hiding and showing): start a fresh provider.
      rerender();
      return;
    }
    current.holders++;
    current.claimed = true;
    void current.provider.connect();
    return () => {
      current.holders--;
      current.provider.disconnect();
      queueMicrotask(() => {
        if (current.holders === 0) current.provider.destroy();
      });
    };
  }, [current]);

  return current.provider;
}

export default useYProvider;
