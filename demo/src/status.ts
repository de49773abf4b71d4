import type { YPartyKitProvider } from "yparty/provider";

/**
 * "Saving… / All changes saved" from the provider's durable acknowledgements: a change counts as saved only
 * once the server has written it to disk, not when it was sent.
 */
export function showSaveStatus(element: HTMLElement, provider: YPartyKitProvider): void {
  let connected = false;
  const render = () => {
    const unsaved = provider.unsyncedChanges;
    const state = unsaved === 0 ? "saved" : connected ? "saving" : "offline";
    element.dataset.state = state;
    element.textContent =
      state === "saved" ? "All changes saved" : state === "saving" ? "Saving…" : `Offline: ${unsaved} change${unsaved === 1 ? "" : "s"} not saved yet`;
  };
  provider.on("unsynced-changes", render);
  provider.on("status", ({ status }: { status: string }) => {
    connected = status === "connected";
    render();
  });
  render();
}

const CONNECTION_TEXT = { connected: "Connected", connecting: "Connecting…", disconnected: "Disconnected", offline: "Offline" };

/**
 * Connection state as a small badge. While the browser says it is offline and the socket is down, it says "Offline"
 * rather than flickering through the provider's reconnect attempts (which go on: a server on this machine may
 * still be reachable, and then the badge says "Connected").
 */
export function showConnection(element: HTMLElement, provider: YPartyKitProvider): void {
  let status: keyof typeof CONNECTION_TEXT = provider.wsconnected ? "connected" : "connecting";
  const render = () => {
    const shown = status !== "connected" && !navigator.onLine ? "offline" : status;
    if (element.dataset.state === shown) return;
    element.dataset.state = shown;
    element.textContent = CONNECTION_TEXT[shown];
  };
  provider.on("status", (event: { status: "connected" | "connecting" | "disconnected" }) => {
    status = event.status;
    render();
  });
  addEventListener("online", render);
  addEventListener("offline", render);
  render();
}
