/**
 * The counter page: joins room `?room=` (default `lobby`) as player `?player=` (token `dev:<player>`) with
 * yparty/rooms-client; shows the state the client mirrors (checked against every checksum), sends `inc` and
 * `echo`, and shares the mouse as unreliable `cursor` messages.
 */
import { connect } from "yparty/rooms-client";

interface CounterState {
  count: number;
  players: Record<string, { joined: boolean }>;
}

const params = new URLSearchParams(location.search);
const roomName = params.get("room") ?? "lobby";
const player = params.get("player") ?? `guest-${Math.random().toString(36).slice(2, 7)}`;
const $ = (id: string) => document.getElementById(id)!;
$("room").textContent = roomName;
$("player").textContent = player;

const client = await connect(`${location.origin.replace(/^http/, "ws")}/rooms`, { token: `dev:${player}` });
const room = await client.joinOrCreate<CounterState>("counter", { room: roomName });
const cursors = new Map<string, HTMLElement>();

function render(): void {
  const state = room.state;
  if (!state) return;
  $("count").textContent = String(state.count);
  $("seq").textContent = String(room.seq);
  $("players").replaceChildren(
    ...Object.keys(state.players)
      .sort()
      .map((name) => Object.assign(document.createElement("li"), { textContent: name })),
  );
  for (const [name, element] of cursors) {
    if (name in state.players) continue;
    element.remove();
    cursors.delete(name);
  }
}

function showCursor(from: string, x: number, y: number): void {
  let element = cursors.get(from);
  if (!element) {
    element = document.createElement("div");
    element.className = "cursor";
    element.dataset.player = from;
    element.style.background = `hsl(${[...from].reduce((h, c) => h + c.charCodeAt(0) * 37, 0) % 360} 70% 50%)`;
    element.append(Object.assign(document.createElement("span"), { textContent: from }));
    $("board").append(element);
    cursors.set(from, element);
  }
  element.style.left = `${x * 100}%`;
  element.style.top = `${y * 100}%`;
}

client.on((event) => {
  if (event.type === "state" && event.room === room.room) render();
  if (event.type === "status") {
    $("status").textContent = event.status;
    $("status").dataset.state = event.status;
  }
  if (event.type === "error") $("errors").textContent = event.reason;
  if (event.type === "message" && event.messageType === "echo") $("echoed").textContent = `echo: ${JSON.stringify(event.data)}`;
  if (event.type === "message" && event.messageType === "cursor") {
    const { from, x, y } = event.data as { from: string; x: number; y: number };
    showCursor(from, x, y);
  }
});
$("status").textContent = "open";
$("status").dataset.state = "open";
render();

$("inc1").onclick = () => room.send("inc", { by: 1 });
$("inc5").onclick = () => room.send("inc", { by: 5 });
$("echo").onclick = () => room.send("echo", { at: new Date().toISOString() });
$("board").addEventListener("pointermove", (event) => {
  const box = $("board").getBoundingClientRect();
  room.send("cursor", { from: player, x: (event.clientX - box.left) / box.width, y: (event.clientY - box.top) / box.height });
});
Object.assign(window, { rooms: { client, room } });
