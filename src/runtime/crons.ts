/**
 * PartyKit's `crons`: each named schedule runs the `main` party's static `onCron(cron, lobby, ctx)` at the times
 * its expression names (UTC). A run that throws is logged; the schedule goes on. Times missed while the server was
 * down are not made up, as on PartyKit's platform.
 */
import { InFlight } from "../../persistence/in-flight.js";
import { codeOf, failureOfTheMoment } from "./errors.js";
import { parseCron, type CronSchedule } from "./cron-expression.js";
import type { Logger } from "./log.js";
import type { Cron } from "./party-types.js";
import { runAt, type TimerAt } from "./timers.js";

export type RunCron = (cron: Cron) => Promise<void>;

export class CronScheduler {
  readonly #schedules: Array<{ name: string; expression: string; schedule: CronSchedule }>;
  readonly #timers = new Map<string, TimerAt>();
  readonly #running = new InFlight();
  #stopped = false;

  /** Throws `ERR_INVALID_CRON` naming the schedule when an expression cannot run. */
  constructor(
    crons: Record<string, string>,
    private readonly run: RunCron,
    private readonly logger: Logger,
  ) {
    this.#schedules = Object.entries(crons).map(([name, expression]) => {
      try {
        return { name, expression, schedule: parseCron(expression) };
      } catch (error) {
        (error as Error).message = `crons.${name}: ${(error as Error).message}`;
        throw error;
      }
    });
  }

  get names(): string[] {
    return this.#schedules.map((s) => s.name);
  }

  start(): void {
    for (const entry of this.#schedules) this.#arm(entry, entry.schedule.next(new Date()).getTime());
  }

  /** Stops every timer and waits for runs under way. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#timers.values()) timer.cancel();
    this.#timers.clear();
    await this.#running.drain();
  }

  #arm(entry: { name: string; expression: string; schedule: CronSchedule }, at: number): void {
    if (this.#stopped) return;
    const timer = runAt(at, () => {
      // The next run is set from the scheduled time, so a slow run never shifts the schedule.
      const next = entry.schedule.next(new Date(Math.max(at, Date.now()))).getTime();
      this.#arm(entry, next);
      void this.#running.track(this.#fire(entry, at, next));
    });
    this.#timers.set(entry.name, timer);
  }

  /** `next`: the time of the run after this one, which a failure of the moment waits for (a run is never retried). */
  async #fire(entry: { name: string; expression: string }, scheduledTime: number, next: number): Promise<void> {
    const cron: Cron = { name: entry.name, cron: entry.expression, scheduledTime, noRetry() {} };
    try {
      await this.run(cron);
    } catch (error) {
      // A failure of the moment (a room no node can serve now: Redis or PostgreSQL out of reach, the server shutting
      // down) is no fault of the code, and an error line would page someone for it.
      const moment = failureOfTheMoment(error);
      if (!moment) {
        this.logger.error("cron.failed", { code: codeOf(error, "ERR_HOOK_FAILED"), cron: entry.name, error });
        return;
      }
      this.logger.warn("cron.failed", {
        code: moment.code,
        cron: entry.name,
        scheduledTime,
        nextRun: new Date(next).toISOString(),
        error,
        message: `onCron failed for a reason of the moment, not of its code (${moment.message}); this run is not retried: the cron runs again at its next time`,
      });
    }
  }
}
