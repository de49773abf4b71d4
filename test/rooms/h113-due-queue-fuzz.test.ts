/**
 * The binary heap that drops held seats and kept match notices in the order of their times (src/rooms/due-queue.ts),
 * fuzzed against a plain oracle (every item with its time, in an array): random pushes (many equal times, times in the
 * past, far ahead, infinite), takes of what is due by a moving clock, takes stopped part way (a consumer that breaks
 * out), and pushes made while a take is under way (match-notices.ts pushes again a notice whose seat is held longer).
 * What comes out must be what the oracle says is due, earliest first, nothing lost or twice.
 */
import { describe, expect, it } from "vitest";
import { DueQueue } from "../../src/rooms/due-queue.js";
import { seededRandom } from "../helpers/seeded-random.js";

interface Item {
  id: number;
  due: number;
}

function run(seed: number): void {
  const random = seededRandom(seed);
  const pick = (n: number) => Math.floor(random() * n);
  const queue = new DueQueue<Item>();
  let oracle: Item[] = [];
  let now = 1_000;
  let ids = 0;
  const dueAt = (): number => {
    const roll = random();
    if (roll < 0.05) return Number.POSITIVE_INFINITY;
    if (roll < 0.1) return now - pick(50); // already past
    if (roll < 0.4) return now + 10 * pick(5); // equal times, many
    return now + pick(200);
  };
  const push = () => {
    const item = { id: ids++, due: dueAt() };
    queue.push(item.due, item);
    oracle.push(item);
  };
  /** Checks what a take gave against the oracle, and removes it there. */
  const took = (taken: Item[], complete: boolean) => {
    const due = oracle.filter((item) => item.due <= now).sort((a, b) => a.due - b.due);
    expect(
      taken.map((item) => item.due),
      `seed ${seed}: taken by ${now}, earliest first`,
    ).toEqual(due.slice(0, taken.length).map((item) => item.due));
    if (complete) expect(taken.length, `seed ${seed}: everything due by ${now}`).toBe(due.length);
    const ids = new Set(taken.map((item) => item.id));
    expect(ids.size, `seed ${seed}: none twice`).toBe(taken.length);
    for (const item of taken) expect(oracle.includes(item), `seed ${seed}: item ${item.id} was waiting`).toBe(true);
    oracle = oracle.filter((item) => !ids.has(item.id));
  };
  for (let step = 0; step < 400; step++) {
    const roll = random();
    if (roll < 0.5) {
      for (let n = pick(4) + 1; n > 0; n--) push();
    } else if (roll < 0.7) {
      now += pick(60);
      took([...queue.takeDue(now)], true);
    } else if (roll < 0.85) {
      now += pick(60);
      const stopAfter = pick(4);
      const taken: Item[] = [];
      for (const item of queue.takeDue(now)) {
        taken.push(item);
        if (taken.length >= stopAfter) break;
      }
      took(taken, taken.length < stopAfter);
    } else {
      // A take that pushes again some of what it takes, later (match-notices.ts: a seat held longer than it was).
      now += pick(60);
      const taken: Item[] = [];
      const again: Item[] = [];
      for (const item of queue.takeDue(now)) {
        taken.push(item);
        if (random() < 0.3) {
          const later = { id: ids++, due: now + 1 + pick(100) };
          queue.push(later.due, later);
          again.push(later);
        }
      }
      took(taken, true);
      oracle.push(...again);
    }
    expect(queue.size, `seed ${seed}: size`).toBe(oracle.length);
  }
  now = Number.POSITIVE_INFINITY;
  took([...queue.takeDue(now)], true);
  expect(queue.size).toBe(0);
}

describe("DueQueue against an oracle", () => {
  it("gives what is due, earliest first, over 80 seeded runs", () => {
    for (let seed = 1; seed <= 80; seed++) run(seed);
  });
});
