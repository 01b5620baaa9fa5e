import type { ServerResponse } from 'node:http';
import type { CallSignal } from '@vectorstack/providers';

/** Writes Server-Sent Events to a raw response, flushing each event and honouring backpressure. */
export class SseWriter {
  constructor(
    private readonly raw: ServerResponse,
    private readonly signal: CallSignal,
  ) {}

  /** One `data:` event; waits for the socket to drain when the client reads slower than we write. */
  async data(payload: string): Promise<void> {
    if (this.raw.write(`data: ${payload}\n\n`)) return;
    await new Promise<void>((resolve) => {
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
    this.raw.end('data: [DONE]\n\n');
  }

  /** An error event in the OpenAI shape, then close: the SDKs raise it as an APIError. */
  error(error: { message: string; type: string; code: string }): void {
    this.raw.end(`data: ${JSON.stringify({ error: { ...error, param: null } })}\n\n`);
  }
}
