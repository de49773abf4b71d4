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

/** Connection state as a small badge. */
export function showConnection(element: HTMLElement, provider: YPartyKitProvider): void {
  provider.on("status", ({ status }: { status: string }) => {
    element.dataset.state = status;
    element.textContent = status === "connected" ? "Connected" : status === "connecting" ? "Connecting…" : "Disconnected";
  });
}
