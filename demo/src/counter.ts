/**
 * The demo's second page, /counter.html: the rooms protocol (docs/rooms.md) next to the Yjs editors. It runs the
 * counter page of examples/rooms as it is (room type `counter`, mounted at /rooms by demo/yparty.json), so the
 * example and the demo show the same code.
 */
import "../../examples/rooms/src/page.js";
