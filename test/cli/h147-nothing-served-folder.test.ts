/**
 * A project serving a static folder (`serve` in the config) whose folder has no index.html (a build not run yet,
 * `serve` pointing at the wrong folder) got, at `/`, a 404 telling it to serve a folder with --serve or "serve":
 * the setting it has, so the user went looking for why it was not read. With a folder served, the 404 now says that
 * the folder has no file at that path.
 */
import { afterEach, describe, expect, it } from "vitest";
import { deferredCleanups, projectWith, serveIn } from "./helpers.js";

const defer = deferredCleanups(afterEach);

describe("the 404 of a path nothing serves, with a static folder served", () => {
  it("says the folder has no file there rather than how to serve one", async () => {
    const dir = await projectWith(defer, { "yparty.json": JSON.stringify({ serve: "public" }), "public/about.html": "<p>about</p>" });
    const { url } = await serveIn(defer, "dev", dir, ["--no-persist"]);
    expect((await fetch(`${url}/about.html`)).status).toBe(200);
    const response = await fetch(url);
    expect(response.status).toBe(404);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error).toEqual({
      code: "ERR_NOT_FOUND",
      message: "Nothing is served at /. Rooms are at /parties/{party}/{room} (parties here: main); the static folder served has no file at this path",
    });
  });
});
