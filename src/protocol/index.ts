export * from "./close-codes.js";
export * from "./errors.js";
export * from "./messages.js";
export * from "./custom.js";
export * from "./chunking.js";
export * from "./wake-call.js";
