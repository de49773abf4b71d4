/** The room list at `/` without `?room=`: existing rooms from `GET /parties/main`, and a form to open any name. */
interface PartyListing {
  rooms?: Array<{ id: string; connections: number; storedBytes?: number }>;
}

export function roomFromUrl(): string | undefined {
  return usableRoomName(new URLSearchParams(location.search).get("room") ?? "");
}

/** The name trimmed, unless a URL cannot carry it as a path segment ("", ".", ".."): then the picker shows. */
export function usableRoomName(name: string): string | undefined {
  const room = name.trim();
  return room === "" || room === "." || room === ".." ? undefined : room;
}

export function roomHref(room: string): string {
  return `?room=${encodeURIComponent(room)}`;
}

export function suggestRoomName(): string {
  const words = ["amber", "birch", "cedar", "delta", "ember", "fjord", "grove", "harbor", "island", "juniper"];
  return `${words[Math.floor(Math.random() * words.length)]}-${Math.floor(Math.random() * 900 + 100)}`;
}

export async function renderRoomList(list: HTMLElement): Promise<void> {
  let listing: PartyListing = {};
  try {
    const response = await fetch("/parties/main");
    if (response.ok) listing = (await response.json()) as PartyListing;
  } catch {
    // The list is a convenience: the form still opens any room.
  }
  const rooms = listing.rooms ?? [];
  if (rooms.length === 0) {
    const empty = document.createElement("li");
    empty.className = "muted";
    empty.textContent = "No rooms yet: create the first one.";
    list.replaceChildren(empty);
    return;
  }
  list.replaceChildren(
    ...rooms.map((room) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = roomHref(room.id);
      link.textContent = room.id;
      const meta = document.createElement("span");
      meta.className = "muted";
      meta.textContent = ` ${room.connections} here${room.storedBytes ? `, ${Math.ceil(room.storedBytes / 1024)} KiB stored` : ""}`;
      item.append(link, meta);
      return item;
    }),
  );
}
