/** One Server-Sent Event: its `event:` name (when given) and its data lines joined by "\n". */
export interface SseEvent {
  event: string | undefined;
  data: string;
}

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
/** "data:" is five characters. */
const DATA_LENGTH = 5;

/**
 * An incremental Server-Sent Events parser (the WHATWG event-stream format) over raw bytes as
 * they arrive, split anywhere, multi-byte UTF-8 characters included: what arrived is decoded
 * once, up to its last LF byte (0x0A never occurs inside a UTF-8 sequence, so that text is
 * whole), and the bytes after it wait for the next push. Events' data are slices of that text:
 * one decoding per read rather than one per line. Lines end with LF or CRLF; a lone CR as a line
 * ending (allowed by the spec, sent by no LLM provider) is not supported. `id:` and `retry:` are
 * ignored; comments (`:`) are skipped.
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
    const last = buffer.lastIndexOf(LF);
    if (last === -1) {
      this.pending = Buffer.from(buffer);
      return events;
    }
    const text = buffer.toString('utf8', 0, last + 1);
    let start = 0;
    let newline = text.indexOf('\n');
    while (newline !== -1) {
      const end = newline > start && text.charCodeAt(newline - 1) === CR ? newline - 1 : newline;
      this.line(text, start, end, events);
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    if (last + 1 < buffer.length) this.pending = Buffer.from(buffer.subarray(last + 1));
    return events;
  }

  /** The stream ended: completes a last line and event that had no terminating blank line. */
  end(): SseEvent[] {
    const events: SseEvent[] = [];
    if (this.pending !== undefined) {
      const text = this.pending.toString('utf8');
      this.pending = undefined;
      this.line(text, 0, text.charCodeAt(text.length - 1) === CR ? text.length - 1 : text.length, events);
    }
    this.dispatch(events);
    return events;
  }

  private dispatch(events: SseEvent[]): void {
    if (this.data !== undefined) events.push({ event: this.eventName, data: this.data });
    this.data = undefined;
    this.eventName = undefined;
  }

  /** The line `text[start, end)`. */
  private line(text: string, start: number, end: number, events: SseEvent[]): void {
    if (start === end) {
      this.dispatch(events);
      return;
    }
    if (text.charCodeAt(start) === COLON) return; // comment, e.g. ": keep-alive"
    let field: string;
    let value: string;
    if (end - start >= DATA_LENGTH && text.startsWith('data:', start)) {
      // Fast path for the line every chunk has.
      field = 'data';
      value = text.slice(text.charCodeAt(start + DATA_LENGTH) === SPACE ? start + DATA_LENGTH + 1 : start + DATA_LENGTH, end);
    } else {
      const colon = text.indexOf(':', start);
      if (colon === -1 || colon >= end) {
        field = text.slice(start, end);
        value = '';
      } else {
        field = text.slice(start, colon);
        value = text.slice(text.charCodeAt(colon + 1) === SPACE && colon + 1 < end ? colon + 2 : colon + 1, end);
      }
    }
    if (field === 'data') this.data = this.data === undefined ? value : `${this.data}\n${value}`;
    else if (field === 'event') this.eventName = value;
  }
}
