/** Bundled for the browser tests: exposes the provider and Yjs to the page. */
import * as Y from "yjs";
import { YPartyKitProvider } from "../../../provider/index.js";

declare global {
  interface Window {
    yparty: { Y: typeof Y; YPartyKitProvider: typeof YPartyKitProvider };
  }
}

window.yparty = { Y, YPartyKitProvider };
