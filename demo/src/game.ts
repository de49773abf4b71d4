/**
 * The demo's game page, /game.html?player=ada: examples/game's `arena` match (mounted at /ws by demo/yparty.json),
 * played with yparty/game-client. It queues for mode `arena` (two players), joins the match it is given, moves its
 * dot with the arrow keys or a click, shows the other player's dot, a chat channel of the match, and votes (call,
 * cast, veto) with their live tally and result.
 */
import { connect, type GameRequestError, type VoteStart } from "yparty/game-client";

interface ArenaState {
  tick: number;
  players: Record<string, { x: number; y: number }>;
}

/** The board is a grid of CELLS × CELLS; positions are cells, 0 to CELLS - 1. */
const CELLS = 20;
const MAP_VOTE = {
  action: "call_vote",
  options: [
    { id: "jungle", label: "Jungle" },
    { id: "volcano", label: "Volcano" },
  ],
  method: "plurality",
  window_ms: 10_000,
  visibility: "live",
  veto_enabled: true,
};

const params = new URLSearchParams(location.search);
const player = params.get("player") ?? `guest-${Math.random().toString(36).slice(2, 7)}`;
const $ = (id: string) => document.getElementById(id)!;
const say = (id: string, text: string) => ($(id).textContent = text);
say("player", player);

const game = await connect<ArenaState>(`${location.origin.replace(/^http/, "ws")}/ws`, { token: `dev:${player}` });
const dots = new Map<string, HTMLElement>();
/** Where this player's dot is headed: arrow keys step from here, so quick presses add up before the state catches up. */
let aim = { x: 0, y: 0 };
let aimedAt = 0;
let channel: string | undefined;
let vote: VoteStart | undefined;

game.on("status", ({ status }) => {
  say("status", status);
  $("status").dataset.state = status;
});
game.on("error", ({ reason }) => say("errors", reason));

// ---- matchmaking and the match -------------------------------------------------------------------------------

async function findMatch(): Promise<void> {
  say("phase", "waiting for another player…");
  $("again").hidden = true;
  await game.matchmaker.add("arena");
}

game.on("matchmaker.matched", async ({ match_id }) => {
  say("phase", "joining…");
  await game.match.join(match_id);
  channel = `match:${match_id.split(".")[0]}`;
  const { history } = await game.chat.join(channel);
  $("messages").replaceChildren(...history.map(chatLine));
});
game.on("match.started", ({ match_id, players }) => {
  say("match", match_id);
  say("phase", `playing with ${players.filter((p) => p !== player).join(", ") || "nobody yet"}`);
  $("board").focus();
});
game.on("match.state", (state) => {
  say("tick", String(state.tick));
  // The server has had time to apply what was sent: follow it (a rejoin, a match that moves players itself).
  if (performance.now() - aimedAt > 500) aim = state.players[player] ?? aim;
  for (const [id, at] of Object.entries(state.players)) placeDot(id, at);
  for (const [id, dot] of dots) {
    if (id in state.players) continue;
    dot.remove();
    dots.delete(id);
  }
});
game.on("match.finished", ({ result }) => {
  say("phase", `finished: ${result.winner === player ? "you won" : `${String(result.winner)} won`}`);
  if (channel) void game.chat.leave(channel).catch(() => {});
  void game.match.leave().catch(() => {});
  $("again").hidden = false;
});

function placeDot(id: string, at: { x: number; y: number }): void {
  let dot = dots.get(id);
  if (!dot) {
    dot = document.createElement("div");
    dot.className = id === player ? "dot mine" : "dot";
    dot.dataset.player = id;
    dot.append(Object.assign(document.createElement("span"), { textContent: id }));
    $("board").append(dot);
    dots.set(id, dot);
  }
  dot.style.left = `${((at.x + 0.5) / CELLS) * 100}%`;
  dot.style.top = `${((at.y + 0.5) / CELLS) * 100}%`;
}

const clamp = (n: number) => Math.max(0, Math.min(CELLS - 1, n));
function moveTo(x: number, y: number): void {
  aim = { x: clamp(x), y: clamp(y) };
  aimedAt = performance.now();
  game.match.input({ action: "move", ...aim });
}
const arrows: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
$("board").addEventListener("keydown", (event) => {
  const step = arrows[event.key];
  if (!step) return;
  event.preventDefault();
  moveTo(aim.x + step[0], aim.y + step[1]);
});
$("board").addEventListener("click", (event) => {
  const box = $("board").getBoundingClientRect();
  moveTo(Math.floor(((event.clientX - box.left) / box.width) * CELLS), Math.floor(((event.clientY - box.top) / box.height) * CELLS));
});
$("finish").onclick = () => game.match.input({ action: "finish" });
$("again").onclick = () => void findMatch();

// ---- chat ----------------------------------------------------------------------------------------------------

function chatLine({ sender_id, content, sent_at }: { sender_id: string; content: string; sent_at: string }): HTMLElement {
  const line = document.createElement("li");
  line.append(
    Object.assign(document.createElement("strong"), { textContent: sender_id }),
    ` ${content} `,
    Object.assign(document.createElement("time"), { textContent: sent_at.slice(11, 19), className: "muted" }),
  );
  return line;
}
game.on("chat.message", (message) => {
  if (message.channel_id === channel) $("messages").append(chatLine(message));
});
$("chat-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("chat-input") as HTMLInputElement;
  if (!channel || input.value.trim() === "") return;
  game.chat.send(channel, input.value).then(
    () => (input.value = ""),
    (error: GameRequestError) => say("errors", error.message),
  );
});

// ---- votes ---------------------------------------------------------------------------------------------------

$("call-vote").onclick = () => game.match.input(MAP_VOTE);
game.on("match.vote_start", (started) => {
  vote = started;
  say("vote-result", "");
  say("vote-tally", "");
  $("vote-options").replaceChildren(
    ...started.options.map(({ id, label }) => {
      const button = Object.assign(document.createElement("button"), { textContent: label });
      button.dataset.option = id;
      button.onclick = () => void game.vote.cast(started.vote_id, id).catch((error: GameRequestError) => say("errors", error.message));
      return button;
    }),
  );
  $("vote").hidden = false;
  ($("veto") as HTMLButtonElement).disabled = !started.veto_enabled;
});
$("veto").onclick = () => {
  if (vote) void game.vote.veto(vote.vote_id).catch((error: GameRequestError) => say("errors", error.message));
};
function closeVote(): void {
  $("vote-options").replaceChildren();
  ($("veto") as HTMLButtonElement).disabled = true;
}
game.on("match.vote_tally", ({ vote_id, tallies, total_votes }) => {
  if (vote_id === vote?.vote_id)
    say(
      "vote-tally",
      `${Object.entries(tallies)
        .map(([id, n]) => `${id} ${n}`)
        .join(", ")} (${total_votes} votes)`,
    );
});
game.on("match.vote_result", ({ vote_id, winner }) => {
  if (vote_id !== vote?.vote_id) return;
  say("vote-result", winner === null ? "nobody voted" : `${winner} wins`);
  closeVote();
});
game.on("match.vote_vetoed", ({ vote_id, vetoed_by }) => {
  if (vote_id !== vote?.vote_id) return;
  say("vote-result", `vetoed by ${vetoed_by}`);
  closeVote();
});

say("status", game.status);
$("status").dataset.state = game.status;
Object.assign(window, { game: { client: game } });
await findMatch();
