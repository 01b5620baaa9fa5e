import type { CallSignal } from '../cancellation';
import { transportFailure } from '../http/upstream-errors';
import type { UpstreamBody } from '../http/upstream-http';
import type { ChunkReader } from '../types';
import { SseParser, type SseEvent } from './sse-parser';

/**
 * A ChunkReader over an upstream's Server-Sent Events: each read takes the bytes that arrived
 * since the last one, at once when there are any (a promise only when it must wait), and gives
 * the chunks their events make. A provider's reader says what an event makes (`event`) and what
 * the end of the stream adds or lacks (`end`).
 *
 * Failures are UpstreamErrors (a dropped connection, the body timeout, an abort, or what
 * `event`/`end` throw), each after the chunks that came before it. The body is read to its end
 * so that the keep-alive connection goes back to the pool; a reader cancelled early (the client
 * went away) or failed destroys it, which closes the upstream connection.
 */
export abstract class SseStreamReader<T> implements ChunkReader<T> {
  private readonly parser = new SseParser();
  /** An event that failed: thrown at the next read, after the batch of the chunks before it. */
  private failure: { error: unknown } | undefined;
  /** Nothing more to read: the end was reached, a failure thrown, or the reader cancelled. */
  private ended = false;

  constructor(
    private readonly body: UpstreamBody,
    private readonly signal: CallSignal,
  ) {}

  /** The chunks `event` makes, into `batch` (none is fine); throws UpstreamError for an event that fails the stream. */
  protected abstract event(event: SseEvent, batch: T[]): void;

  /** The body is complete and its events taken: what the end adds to `batch`; throws UpstreamError for a stream that ended too early. */
  protected abstract end(batch: T[]): void;

  read(): T[] | null | Promise<T[] | null> {
    try {
      for (;;) {
        if (this.failure) throw this.failure.error;
        if (this.ended) return null;
        const chunks = this.body.take();
        if (chunks !== undefined) {
          const batch: T[] = [];
          for (const chunk of chunks) if (!this.takeAll(this.parser.push(chunk), batch)) break;
          if (batch.length > 0) return batch;
          continue;
        }
        const error = this.body.error;
        if (error) throw error;
        if (this.body.complete) {
          const batch = this.finish();
          if (batch.length > 0) return batch;
          continue;
        }
        return this.body.changed().then(() => this.read());
      }
    } catch (error) {
      this.failure = undefined;
      this.cancel();
      throw transportFailure(error, this.signal);
    }
  }

  cancel(): void {
    this.ended = true;
    this.body.destroy(); // a no-op once the body is complete; else the upstream connection closes
  }

  /** The body is complete: its last event, then what the end adds. */
  private finish(): T[] {
    this.ended = true;
    const batch: T[] = [];
    if (this.takeAll(this.parser.end(), batch)) {
      try {
        this.end(batch);
      } catch (error) {
        this.failure = { error };
      }
    }
    return batch;
  }

  /**
   * The events' chunks into `batch`, up to a failing one: the chunks before it still reach the
   * consumer, as they would one by one, and the failure follows them. False after a failure.
   */
  private takeAll(events: SseEvent[], batch: T[]): boolean {
    try {
      for (const event of events) this.event(event, batch);
      return true;
    } catch (error) {
      this.failure = { error };
      return false;
    }
  }
}
