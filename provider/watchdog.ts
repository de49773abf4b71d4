/**
 * Notices a connection that went silent without a close event (sleeping laptop, dropped NAT entry). After
 * `probeAfterMs` of silence it sends a probe the server must answer; after `deadAfterMs` it gives up on
 * the socket. The probe keeps a lone client on a quiet room from being dropped for mere silence.
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
  #probed = false;

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
    this.#probed = false;
  }

  /** One look at the silence; public so tests can drive it with a chosen clock. */
  check(now: number): void {
    const silence = now - this.hooks.lastReceived();
    if (silence >= this.timing.deadAfterMs) {
      this.stop();
      this.hooks.dead();
    } else if (silence >= this.timing.probeAfterMs) {
      if (!this.#probed) this.hooks.probe();
      this.#probed = true;
    } else {
      this.#probed = false;
    }
  }
}
