/** Bundled for the React test: mounts useYProvider under StrictMode and exposes what the test checks. */
import { StrictMode, useEffect } from "react";
import { createRoot, type Root } from "react-dom/client";
import type { YPartyKitProvider } from "../../../provider/index.js";
import { useYProvider } from "../../../provider/react.js";

declare global {
  interface Window {
    hook: {
      providers: YPartyKitProvider[];
      renders: number;
      /** Runs of a mount-only effect: 2 proves StrictMode replayed the effects. */
      effects: number;
      mount(host: string, room: string): void;
      setRoom(room: string): void;
      unmount(): void;
    };
  }
}

let root: Root | null = null;
let host = "";

function Editor({ room }: { room: string }) {
  const provider = useYProvider({ host, room, options: { disableBc: true } });
  window.hook.renders++;
  useEffect(() => {
    window.hook.effects++;
  }, []);
  if (!window.hook.providers.includes(provider)) window.hook.providers.push(provider);
  return <p id="room">{provider.roomname}</p>;
}

function render(room: string) {
  root!.render(
    <StrictMode>
      <Editor room={room} />
    </StrictMode>,
  );
}

window.hook = {
  providers: [],
  renders: 0,
  effects: 0,
  mount(serverHost, room) {
    host = serverHost;
    root = createRoot(document.getElementById("app")!);
    render(room);
  },
  setRoom: render,
  unmount() {
    root?.unmount();
    root = null;
  },
};
