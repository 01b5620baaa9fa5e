/** Where a DrainLoop reports a failed pass (a Nest Logger or a pino logger fits). */
export interface DrainLoopLogger {
  warn(message: string): void;
}

export interface DrainLoopOptions {
  /** Names the loop in its log lines. */
  readonly name: string;
  /** A pass starts at least this often while none is running. */
  readonly pollIntervalMs: number;
  /** One pass: do the pending work (e.g. publish until nothing is left). */
  readonly pass: () => Promise<void>;
  readonly logger: DrainLoopLogger;
}

/**
 * Runs a pass on a poll and on demand — the shape of every relay that drains a table to Kafka:
 * `kick()` after a commit starts a pass now, or, when one is running, exactly one more right after
 * it (kicks during a pass coalesce); a failed pass is logged and the next poll retries;
 * `stop()` ends polling and waits for the pass in progress.
 */
export class DrainLoop {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private rerun = false;
  private stopping = false;

  constructor(private readonly options: DrainLoopOptions) {}

  /** True once stop() was called: a pass should finish early. */
  get stopped(): boolean {
    return this.stopping;
  }

  start(): void {
    this.timer = setInterval(() => {
      if (!this.running) this.kick();
    }, this.options.pollIntervalMs);
    this.timer.unref();
  }

  /** Stops polling and waits for the pass in progress: call it while what the pass uses is still up. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Run a pass now; coalesces with a pass already in progress. */
  kick(): void {
    if (this.stopping) return;
    if (this.running) {
      this.rerun = true;
      return;
    }
    this.running = this.options
      .pass()
      .catch((error: unknown) => this.options.logger.warn(`${this.options.name} failed, will retry: ${String(error)}`))
      .finally(() => {
        this.running = undefined;
        if (this.rerun && !this.stopping) {
          this.rerun = false;
          this.kick();
        }
      });
  }
}
