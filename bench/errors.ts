/** Harness failures, each with a stable `code` so a report can say what went wrong where. */
export type BenchErrorCode = "ERR_SERVER_START" | "ERR_SERVER_EXIT" | "ERR_CONNECT" | "ERR_TIMEOUT" | "ERR_WRONG_CONTENT" | "ERR_CHART" | "ERR_USAGE";

export class BenchError extends Error {
  override readonly name = "BenchError";
  constructor(
    readonly code: BenchErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Rejects with `ERR_TIMEOUT` unless `promise` settles within `ms`; the timer never outlives the race. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BenchError("ERR_TIMEOUT", `${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
