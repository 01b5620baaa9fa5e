import type { IncomingHttpHeaders } from 'node:http';

/** One API request the fake received (control requests are not recorded). */
export interface RecordedRequest {
  /** 1, 2, 3 … in arrival order (not reset by clearing the log). */
  seq: number;
  method: string;
  /** Path without the query string. */
  path: string;
  /** Request headers, lower-case, without credentials (authorization, x-api-key, api-key). */
  headers: Record<string, string>;
  /** Which credential header the client sent, without its value. */
  credential: 'bearer' | 'x-api-key' | null;
  /** The parsed JSON body (the raw text when it was not JSON; null without a body). */
  body: unknown;
  model: string | undefined;
  stream: boolean;
  /** The client's TCP port: equal ports on successive requests mean a reused keep-alive connection. */
  remotePort: number | undefined;
  /** Epoch milliseconds. */
  receivedAt: number;
  /** The HTTP status sent (undefined while waiting, or when the fault sends none). */
  status: number | undefined;
  /** The fault injected, e.g. 'status:429', 'timeout', 'midstream'. */
  fault: string | undefined;
  /** The whole response was written. */
  completed: boolean;
  /** The client went away before the response was complete (e.g. it aborted a stream). */
  aborted: boolean;
}

const CREDENTIAL_HEADERS = new Set(['authorization', 'x-api-key', 'api-key']);

export function recordableHeaders(headers: IncomingHttpHeaders): { headers: Record<string, string>; credential: RecordedRequest['credential'] } {
  const out: Record<string, string> = {};
  for (const name in headers) {
    if (CREDENTIAL_HEADERS.has(name)) continue;
    const value = headers[name];
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const credential = headers['x-api-key'] !== undefined ? 'x-api-key' : headers.authorization?.startsWith('Bearer ') ? 'bearer' : null;
  return { headers: out, credential };
}

/** The request log: a ring of the last `limit` requests (0 records nothing, e.g. for benchmarks). */
export class RequestLog {
  private entries: RecordedRequest[] = [];
  private start = 0;
  private seq = 0;

  constructor(private readonly limit: number) {}

  get enabled(): boolean {
    return this.limit > 0;
  }

  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  add(entry: RecordedRequest): void {
    if (this.limit <= 0) return;
    if (this.entries.length < this.limit) this.entries.push(entry);
    else {
      this.entries[this.start] = entry;
      this.start = (this.start + 1) % this.limit;
    }
  }

  /** Oldest first. */
  list(): RecordedRequest[] {
    return this.start === 0 ? [...this.entries] : [...this.entries.slice(this.start), ...this.entries.slice(0, this.start)];
  }

  clear(): void {
    this.entries = [];
    this.start = 0;
  }
}
