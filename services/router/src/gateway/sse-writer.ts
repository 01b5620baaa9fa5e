import type { ServerResponse } from 'node:http';
import { atTurnEnd, endAtTurnEnd } from '@vectorstack/http';
import type { CallSignal } from '@vectorstack/providers';

/**
 * Writes Server-Sent Events to a raw response whose head is set (`writeHead`), flushing the
 * events as they come — those given in one turn of the event loop (one upstream read, or several
 * read together) in one write, made at the turn's end with the other responses' writes
 * (turn-writes.ts) — and honouring backpressure.
 *
 * The head leaves with the first event when that event follows at once (one write to the
 * socket instead of two), and on its own at the next turn of the event loop otherwise, so that a
 * client waiting for a slow first token still sees the response (status, request id, rate-limit
 * headers) start straight away.
 */
export class SseWriter {
  private started = false;
  private readonly headFlush: NodeJS.Immediate;
  /** Events given in this turn of the event loop, written together when it ends. */
  private pending = '';
  private flushScheduled = false;

  constructor(
    private readonly raw: ServerResponse,
    private readonly signal: CallSignal,
  ) {
    // A function of the module with the writer as its argument, not a closure made here: see
    // Exchange in upstream-http.ts (a closure created in the constructor kept the writer, and
    // with it the response, alive through scavenges).
    this.headFlush = setImmediate(flushHead, this);
  }

  /** The head goes out on its own when no event came in the turn the writer was made. */
  flushHeadUnlessStarted(): void {
    if (!this.started && !this.raw.destroyed) this.raw.flushHeaders();
  }

  /**
   * One `data:` event. Undefined while the response takes more; else (what was written before
   * fills its buffer: the client reads slower than we write) a promise of it draining, to await
   * before the next event. Not an async function: most events need no wait, and would each cost
   * a promise and a turn.
   */
  data(payload: string): Promise<void> | undefined {
    this.start();
    // Events that arrive together (one read from the upstream often holds several) become one
    // write, made at the end of the turn: no event waits for a later read, and the response pays
    // Node's per-write work (chunk framing, buffering) once per turn.
    this.pending += `data: ${payload}\n\n`;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      atTurnEnd(flushPending, this);
    }
    if (!this.raw.writableNeedDrain) return undefined;
    return new Promise<void>((resolve) => {
      const done = () => {
        this.raw.off('drain', done);
        this.signal.removeEventListener('abort', done);
        resolve();
      };
      this.raw.once('drain', done);
      this.signal.addEventListener('abort', done, { once: true });
    });
  }

  /** `data: [DONE]`, the OpenAI end-of-stream marker, then close. */
  done(): void {
    this.start();
    endAtTurnEnd(this.raw, `${this.takePending()}data: [DONE]\n\n`);
  }

  /** An error event in the OpenAI shape, then close: the SDKs raise it as an APIError. */
  error(error: { message: string; type: string; code: string }): void {
    this.start();
    endAtTurnEnd(this.raw, `${this.takePending()}data: ${JSON.stringify({ error: { ...error, param: null } })}\n\n`);
  }

  /** Nothing left for the head's own flush to do (the response ends or goes away another way). */
  close(): void {
    this.start();
    this.pending = '';
  }

  /** @internal the scheduled write of the events gathered in one turn */
  flush(): void {
    this.flushScheduled = false;
    const events = this.takePending();
    if (events !== '' && !this.raw.writableEnded && !this.raw.destroyed) this.raw.write(events);
  }

  private takePending(): string {
    const events = this.pending;
    this.pending = '';
    return events;
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    clearImmediate(this.headFlush);
  }
}

function flushHead(writer: SseWriter): void {
  writer.flushHeadUnlessStarted();
}

function flushPending(writer: SseWriter): void {
  writer.flush();
}
