/**
 * `yparty/provider`: the editor side of yparty. Browser-safe (yjs, y-protocols, lib0, src/protocol).
 *
 *   import YPartyKitProvider from "yparty/provider";
 *   const provider = new YPartyKitProvider("localhost:1999", "my-room", doc);
 */
export { YPartyKitProvider, type YPartyKitProviderEvents } from "./provider.js";
export type { AuthFailure, ChangeRefusal, CloseInfo, ConnectionStatus, YPartyKitProviderOptions } from "./types.js";
export { ProviderError, type ProviderErrorCode } from "./errors.js";
export type { Params, ParamsProvider } from "./url.js";
export { ProviderDefaults } from "./defaults.js";
export { YPartyKitProvider as default } from "./provider.js";
