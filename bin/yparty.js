#!/usr/bin/env node
// The `yparty` command: runs the built CLI (dist/ is built by `npm install` via the `prepare` script).
import { existsSync } from "node:fs";

const cli = new URL("../dist/server/cli.js", import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write("yparty: the CLI is not built yet (dist/ is missing). Run 'npm run build' in the yparty folder.\n");
  process.exit(1);
}
const { main } = await import(cli.href);
// Exit explicitly: a finished command must not linger on a handle some library left open.
process.exit(await main(process.argv.slice(2)));
