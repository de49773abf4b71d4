/**
 * A new user starts `npx yparty dev` with no code and opens the URL the banner prints: the answer was a 404
 * `Nothing is served at /`, which did not say where anything is. It now names where the rooms are (and the parties
 * there) and how static files are served, as every error should say what to do.
 */
import { afterEach, describe, expect, it } from "vitest";
import { deferredCleanups, projectWith, serveIn } from "./helpers.js";

const defer = deferredCleanups(afterEach);

describe("the 404 of a path nothing serves says where the rooms are", () => {
  it("the built-in Yjs party's server, opened at its root", async () => {
    const dir = await projectWith(defer, {});
    const { url } = await serveIn(defer, "dev", dir, ["--no-persist"]);
    const response = await fetch(url);
    expect(response.status).toBe(404);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("ERR_NOT_FOUND");
    expect(body.error.message).toBe(
      'Nothing is served at /. Rooms are at /parties/{party}/{room} (parties here: main); a folder of static files is served with --serve <dir> or "serve" in the config (createServer: its assets option)',
    );
  });
});
