/** Where a server listens and keeps its data unless told otherwise; the CLI takes its defaults from here. */
export const DEFAULT_PORT = 1999;
export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PERSIST_DIR = ".yparty";
