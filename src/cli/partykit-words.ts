/**
 * PartyKit's CLI words that yparty does not take, each with what to do instead. A PartyKit user types them from
 * habit (`npx yparty deploy`, a script's `partykit dev --https`); "Unknown command" alone leaves them guessing
 * whether yparty has another name for it.
 */

const hosting = "yparty has no hosted platform: it runs on your machine";

/** PartyKit's platform commands (partykit.io's accounts, deploys and secrets). */
const platformCommands: Record<string, string> = {
  deploy: `${hosting}. Start it there with "yparty start" (docs/cli.md) behind your own process manager.`,
  init: `${hosting}, with no project template. Run "yparty dev" in your project folder: partykit.json is read as it is.`,
  login: `${hosting}: there is no account to log in to. Run "yparty dev" or "yparty start".`,
  logout: `${hosting}: there is no account to log out of.`,
  env: `${hosting}: put variables in .env, "vars" in the config, or --var KEY=VALUE (room.env, docs/cli.md).`,
  info: `${hosting}. "yparty list" shows the rooms of a running server.`,
  token: `${hosting}. The admin token of a running server is in its data folder's server.json (.yparty/).`,
};

const plainHttp = "yparty serves plain HTTP: terminate TLS in a reverse proxy in front of it (Caddy, nginx) and start yparty with --trust-proxy";

/** `partykit dev` flags that would change what the server is, so they are refused rather than ignored. */
const refusedFlags: Record<string, string> = {
  https: plainHttp,
  "https-key-path": plainHttp,
  "https-cert-path": plainHttp,
};

/** What to do instead of PartyKit's command `name`, or undefined when it is not one of PartyKit's. */
export function partykitCommand(name: string): string | undefined {
  return Object.hasOwn(platformCommands, name) ? `"${name}" is PartyKit's hosted-platform command: ${platformCommands[name]}` : undefined;
}

/** What to do instead of PartyKit's flag `flag` (`--https`), or undefined when it is not one yparty refuses. */
export function partykitFlag(flag: string): string | undefined {
  const name = flag.replace(/^-+/, "").replace(/=.*$/, "");
  return Object.hasOwn(refusedFlags, name) ? `--${name} is not supported: ${refusedFlags[name]}.` : undefined;
}
