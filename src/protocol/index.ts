/**
 * What the server, the provider, the clients and the tests import of the wire protocol: close codes, the decoder's
 * errors, the messages' codec, custom messages, y-partykit's chunking and wake-up calls. The update walkers
 * (update-format, update-slices, update-concat) are imported by path where they are used.
 */
export * from "./close-codes.js";
export * from "./errors.js";
export * from "./messages.js";
export * from "./custom.js";
export * from "./chunking.js";
export * from "./wake-call.js";
