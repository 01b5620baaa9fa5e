/** One Server-Sent Event: its `event:` name (when given) and its data lines joined by "\n". */
export interface SseEvent {
  event: string | undefined;
  data: string;
}

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
const D = 0x64;
const A = 0x61;
const T = 0x74;
/** "data:" is five bytes. */
const DATA_LENGTH = 5;

/**
 * An incremental Server-Sent Events parser (the WHATWG event-stream format) over raw bytes as
 * they arrive, split anywhere, multi-byte UTF-8 characters included: lines are cut at LF bytes
 * (0x0A never occurs inside a UTF-8 sequence), so text is decoded only per complete line. Lines
 * end with LF or CRLF; a lone CR as a line ending (allowed by the spec, sent by no LLM provider)
 * is not supported. `id:` and `retry:` are ignored; comments (`:`) are skipped.
 */
export class SseParser {
  private pending: Buffer | undefined;
  private data: string | undefined;
  private eventName: string | undefined;

  /** Feeds bytes; returns the events completed by them (often none or one). */
  push(chunk: Buffer): SseEvent[] {
    const events: SseEvent[] = [];
    let buffer = chunk;
    if (this.pending !== undefined) {
      buffer = Buffer.concat([this.pending, chunk]);
      this.pending = undefined;
    }
    let start = 0;
    let newline = buffer.indexOf(LF, start);
    while (newline !== -1) {
      const end = newline > start && buffer[newline - 1] === CR ? newline - 1 : newline;
      this.line(buffer, start, end, events);
      start = newline + 1;
      newline = buffer.indexOf(LF, start);
    }
    if (start < buffer.length) this.pending = Buffer.from(buffer.subarray(start));
    return events;
  }

  /** The stream ended: completes a last line and event that had no terminating blank line. */
  end(): SseEvent[] {
    const events: SseEvent[] = [];
    if (this.pending !== undefined) {
      const pending = this.pending;
      this.pending = undefined;
      const end = pending[pending.length - 1] === CR ? pending.length - 1 : pending.length;
      this.line(pending, 0, end, events);
    }
    this.dispatch(events);
    return events;
  }

  private dispatch(events: SseEvent[]): void {
    if (this.data !== undefined) events.push({ event: this.eventName, data: this.data });
    this.data = undefined;
    this.eventName = undefined;
  }

  private line(buffer: Buffer, start: number, end: number, events: SseEvent[]): void {
    if (start === end) {
      this.dispatch(events);
      return;
    }
    if (buffer[start] === COLON) return; // comment, e.g. ": keep-alive"
    let field: string;
    let value: string;
    if (
      end - start >= DATA_LENGTH &&
      buffer[start] === D &&
      buffer[start + 1] === A &&
      buffer[start + 2] === T &&
      buffer[start + 3] === A &&
      buffer[start + 4] === COLON
    ) {
      // Fast path for the line every chunk has: decode only the value.
      const valueStart = buffer[start + DATA_LENGTH] === SPACE ? start + DATA_LENGTH + 1 : start + DATA_LENGTH;
      field = 'data';
      value = buffer.toString('utf8', valueStart, end);
    } else {
      const line = buffer.toString('utf8', start, end);
      const colon = line.indexOf(':');
      if (colon === -1) {
        field = line;
        value = '';
      } else {
        field = line.slice(0, colon);
        value = line.charCodeAt(colon + 1) === SPACE ? line.slice(colon + 2) : line.slice(colon + 1);
      }
    }
    if (field === 'data') this.data = this.data === undefined ? value : `${this.data}\n${value}`;
    else if (field === 'event') this.eventName = value;
  }
}
