/** Room types the rooms tests share: the example's `counter` (inc 1..100, echo, unreliable cursor; max 8 clients). */
export { counter, type CounterState } from "../../examples/rooms/rooms.js";
