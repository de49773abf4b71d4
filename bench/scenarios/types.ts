/** What every scenario gets and gives back. */
import type { BenchProfile } from "../limits.js";
import type { Target } from "../target.js";

/** Named figures of one scenario run on one server (names are listed in ../report/metrics.ts). */
export type Metrics = Record<string, number>;

export interface Scenario {
  id: string;
  title: string;
  /** Whether the scenario means anything for this server (e.g. no document on the relay). */
  appliesTo(target: Pick<Target, "spec">): boolean;
  run(target: Target, profile: BenchProfile): Promise<Metrics>;
}
