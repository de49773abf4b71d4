/**
 * The process-wide queue of heavy room work (a pass over a whole document), spread over turns of the event loop:
 * persistence/heavy-work.ts, which the stores use too. Here for the layers above the runtime (src/yjs).
 */
export { HEAVY_TURN_BUDGET_MS, heavyTurn, inHeavyTurn } from "../../persistence/heavy-work.js";
