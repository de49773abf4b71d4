/**
 * `node --import tsx bench/match-notices.ts [-- --held=2000 --ops=200]`: what one enqueue (`toldLate`) and one kept
 * notice (`hold`) cost while `--held` players hold match notices (src/rooms/match-notices.ts): told late or never back,
 * each with its seat held in its match's room. In-process, with the held seats the rooms mount gives the notices; prints
 * the mean time per operation. Before the sweep went by time (h111), each operation walked every notice held.
 */
import { HeldSeats } from "../src/rooms/held-seats.js";
import { type MatchNotice, MatchNotices } from "../src/rooms/match-notices.js";
import { round } from "./stats.js";

const arg = (name: string, fallback: number): number => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const held = arg("held", 2_000);
const ops = arg("ops", 200);

const notice = (room: string): MatchNotice => ({ queue: "pair", roomType: "pair", room, frame: `{"t":"match.found","p":{"room":"${room}"}}` });
const seats = new HeldSeats();
const notices = new MatchNotices(seats);
const until = Date.now() + 600_000;
const filling = performance.now();
for (let index = 0; index < held; index++) {
  seats.reserve("pair", `room${index}`, [`p${index}`], until);
  notices.hold(`p${index}`, notice(`room${index}`));
}
console.log(`${held} notices kept one after another: ${round(performance.now() - filling)} ms`);
// Half were told late (back, not joined yet): they are what an enqueue of theirs is refused for.
for (let index = 0; index < held / 2; index++) notices.listen(`p${index}`, () => true)();

const timed = (what: string, op: (index: number) => void): void => {
  const started = performance.now();
  for (let index = 0; index < ops; index++) op(index);
  console.log(`${what}: ${round(((performance.now() - started) / ops) * 1000)} µs per operation (${held} held)`);
};
timed("enqueue (toldLate)", (index) => notices.toldLate(`new${index}`, "pair"));
timed("kept notice (hold)", (index) => {
  seats.reserve("pair", `late${index}`, [`late${index}`], until);
  notices.hold(`late${index}`, notice(`late${index}`));
});
