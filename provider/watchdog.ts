/**
 * Notices a connection that went silent without a close event (sleeping laptop, dropped NAT entry). After
 * `probeAfterMs` of silence it sends a probe the server must answer; a probe unanswered for
 * `deadAfterMs - probeAfterMs` gives up on the socket. The probe keeps a lone client on a quiet room from being
 * dropped for mere silence, also when the check itself runs late: a hidden tab's repeating timers run once a minute
 * in Chrome, so the first look may see a minute of silence on a healthy socket. Silence alone never kills it.
 */
import { ProviderDefaults } from "./defaults.js";

export interface WatchdogHooks {
  lastReceived(): number;
  probe(): void;
  dead(): void;
}

export interface WatchdogTiming {
  probeAfterMs: number;
  deadAfterMs: number;
  intervalMs: number;
}

const defaultTiming: WatchdogTiming = {
  probeAfterMs: ProviderDefaults.probeAfterSilenceMs,
  deadAfterMs: ProviderDefaults.deadAfterSilenceMs,
  intervalMs: ProviderDefaults.watchdogIntervalMs,
};

export class Watchdog {
  #timer: ReturnType<typeof setInterval> | undefined;
  /** When the unanswered probe went out (`undefined`: none). */
  #probedAt: number | undefined;

  constructor(
    private readonly hooks: WatchdogHooks,
    private readonly timing: WatchdogTiming = defaultTiming,
  ) {}

  start(): void {
    this.stop();
    this.#timer = setInterval(() => this.check(Date.now()), this.timing.intervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#probedAt = undefined;
  }

  /** One look at the silence; public so tests can drive it with a chosen clock. */
  check(now: number): void {
    const lastReceived = this.hooks.lastReceived();
    // A frame since the probe answered it.
    if (this.#probedAt !== undefined && lastReceived >= this.#probedAt) this.#probedAt = undefined;
    if (now - lastReceived < this.timing.probeAfterMs) return;
    if (this.#probedAt === undefined) {
      this.#probedAt = now;
      this.hooks.probe();
    } else if (now - this.#probedAt >= this.timing.deadAfterMs - this.timing.probeAfterMs) {
      this.stop();
      this.hooks.dead();
    }
  }
}
