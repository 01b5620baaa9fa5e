import type { CallSignal } from '../cancellation';
import { streamFailure, transportFailure } from '../http/upstream-errors';
import type { UpstreamBody } from '../http/upstream-http';
import { SseParser, type SseEvent } from '../sse/sse-parser';
import { readerChunks } from '../chunk-reader';
import { isMeterableUsage } from '../usage-estimate';
import { type ChunkReader, type FinishReason, UpstreamError, type Usage } from '../types';

/** What the stream reader needs to know of a chat chunk or a legacy completion chunk. */
export interface StreamItem {
  choices: Array<{ finish_reason: FinishReason }>;
  usage?: Usage | null;
}

export interface StreamAccounting<T extends StreamItem> {
  /** Characters of generated output in one item (for the usage estimate when the upstream sends none). */
  outputCharacters(item: T): number;
  /** The closing usage item (empty choices) built from the last item seen and an estimate. */
  usageItem(last: T, outputCharacters: number): T;
}

/**
 * The JSON text an object was parsed from, exactly as the upstream sent it: on each item an
 * OpenAI-format stream yields (the event's data), and on a non-streamed chat or text completion
 * whose usage is the upstream's own. A gateway forwarding the object unchanged but for its `model`
 * splices that in (`withModel`) instead of serialising the whole object again. Whoever changes
 * anything else on such an object must delete this (a spread copies it, too).
 */
export const UPSTREAM_JSON: unique symbol = Symbol('upstream JSON');

/**
 * The upstream's JSON text for `item` with its top-level `model` replaced by `model`, or
 * undefined when that cannot be done by splicing (no upstream text on the item, a `model` key
 * other than the top-level one, or the value not written the way JSON.stringify writes it).
 *
 * Safe because `"model":` (a quote, the name, a quote, a colon) can only be a key in JSON text:
 * inside a string a quote is escaped, and a string value is never followed by a colon. With
 * exactly one such key in the text and a top-level `model` in the parsed item, that key is the
 * top-level one.
 */
export function withModel(item: { model?: unknown; [UPSTREAM_JSON]?: string }, model: string): string | undefined {
  const data = item[UPSTREAM_JSON];
  if (data === undefined || typeof item.model !== 'string') return undefined;
  if (item.model === model) return data;
  const key = data.indexOf(MODEL_KEY);
  if (key === -1 || data.indexOf(MODEL_KEY, key + MODEL_KEY.length) !== -1) return undefined;
  const start = key + MODEL_KEY.length;
  const current = upstreamName.json(item.model);
  if (!data.startsWith(current, start)) return undefined;
  return `${data.slice(0, start)}${ownName.json(model)}${data.slice(start + current.length)}`;
}

const MODEL_KEY = '"model":';

/** A name's JSON text, kept for the last name asked: every item of a stream (and most requests) names the same models. */
class JsonNameCache {
  private name: string | undefined;
  private text = '';

  json(name: string): string {
    if (name !== this.name) {
      this.text = JSON.stringify(name);
      this.name = name;
    }
    return this.text;
  }
}

const upstreamName = new JsonNameCache();
const ownName = new JsonNameCache();

function parseItem<T extends StreamItem>(event: SseEvent): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(event.data);
  } catch (error) {
    throw new UpstreamError('protocol', `Upstream sent a malformed stream event: ${event.data.slice(0, 200)}`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null) {
    throw new UpstreamError('protocol', `Upstream sent a stream event that is not an object: ${event.data.slice(0, 200)}`);
  }
  const record = parsed as { error?: unknown; choices?: unknown };
  if (event.event === 'error' || record.error !== undefined) throw streamFailure(parsed);
  if (!Array.isArray(record.choices)) {
    throw new UpstreamError('protocol', `Upstream sent a stream event without choices: ${event.data.slice(0, 200)}`);
  }
  (parsed as { [UPSTREAM_JSON]?: string })[UPSTREAM_JSON] = event.data;
  return parsed as T;
}

/**
 * OpenAI-format SSE (`data: {chunk}` … `data: [DONE]`) → parsed chunks, as they arrive, in
 * batches: the chunks of what the upstream sent since the last read (often several for a fast
 * upstream), returned at once when its bytes are already here (see ChunkReader).
 *
 * Fails with UpstreamError on a dropped connection ('connect'), a gap longer than the body
 * timeout ('timeout'), an abort ('aborted'), an error object in the stream ('server_error' /
 * 'rate_limited' / 'client_error' by its type) and malformed data or a stream that ends before
 * `[DONE]` without any finish_reason ('protocol'). Parsing stops at `[DONE]` but the body is read
 * to its end so the keep-alive connection goes back to the pool; a reader cancelled early (client
 * gone) or failed destroys the body, which closes the upstream connection.
 *
 * If the upstream sent no usage although it was asked to, a last estimated usage item is added
 * so that streamed calls are always metered.
 */
export class OpenAIStreamReader<T extends StreamItem> implements ChunkReader<T> {
  private readonly parser = new SseParser();
  /** `[DONE]` came: later events are ignored. */
  private done = false;
  /** Some choice had a finish_reason. */
  private finished = false;
  private usageSeen = false;
  private outputCharacters = 0;
  private last: T | undefined;
  /** An event that failed: thrown at the next read, after the batch of the chunks before it. */
  private failure: { error: unknown } | undefined;
  /** Nothing more to read: the end was reached, a failure thrown, or the reader cancelled. */
  private ended = false;

  constructor(
    private readonly body: UpstreamBody,
    private readonly signal: CallSignal,
    private readonly accounting: StreamAccounting<T>,
  ) {}

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

  /** The body is complete: its last event, then the end checks and the usage estimate. */
  private finish(): T[] {
    this.ended = true;
    const batch: T[] = [];
    if (this.takeAll(this.parser.end(), batch)) {
      if (!this.done && !this.finished) {
        this.failure = { error: new UpstreamError('protocol', 'The upstream stream ended before [DONE] and before any finish_reason') };
      } else if (!this.usageSeen && this.last !== undefined) {
        batch.push(this.accounting.usageItem(this.last, this.outputCharacters));
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
      for (const event of events) this.take(event, batch);
      return true;
    } catch (error) {
      this.failure = { error };
      return false;
    }
  }

  private take(event: SseEvent, batch: T[]): void {
    if (this.done) return;
    if (event.data === '[DONE]') {
      this.done = true;
      return;
    }
    const item = parseItem<T>(event);
    if (item.usage !== undefined && item.usage !== null) {
      if (isMeterableUsage(item.usage)) this.usageSeen = true;
      else {
        // Not countable: dropped (the estimate meters the stream), and the item is serialised without it.
        item.usage = undefined;
        delete (item as { [UPSTREAM_JSON]?: string })[UPSTREAM_JSON];
      }
    }
    for (const choice of item.choices) if (choice.finish_reason) this.finished = true;
    this.outputCharacters += this.accounting.outputCharacters(item);
    this.last = item;
    batch.push(item);
  }
}

/** The same chunks one by one (see OpenAIStreamReader). */
export function openAIStreamItems<T extends StreamItem>(body: UpstreamBody, signal: CallSignal, accounting: StreamAccounting<T>): AsyncGenerator<T, void, undefined> {
  return readerChunks(new OpenAIStreamReader(body, signal, accounting));
}
