/**
 * `yparty start | head -1` (or a log collector that died): once nobody reads stdout, the next log line (the
 * "shutdown" of a SIGTERM, say) failed with EPIPE, nothing handled the stream's error, the crash handler logged it to
 * the same broken stdout, which failed again on the next tick: the process spun at 100% CPU and never exited (its
 * exit timer starved). A reader that went away now only stops the output: the server serves on and a signal ends
 * it as usual, exit 0.
 */
import { afterEach, describe, expect, it } from "vitest";
import { deferredCleanups, serveIn, tempDir } from "./helpers.js";

const defer = deferredCleanups(afterEach);

describe("stdout whose reader went away", () => {
  it("a SIGTERM still shuts the server down, exit 0", async () => {
    const project = await tempDir();
    defer(project.remove);
    const { cli } = await serveIn(defer, "start", project.dir, ["--no-persist"]);
    cli.child.stdout!.destroy(); // as `| head -1` exiting
    expect(await cli.stop("SIGTERM", 5_000)).toBe(0);
  });
});
