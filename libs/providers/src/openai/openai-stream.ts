import type { CallSignal } from '../cancellation';
import { streamFailure } from '../http/upstream-errors';
import type { UpstreamBody } from '../http/upstream-http';
import type { SseEvent } from '../sse/sse-parser';
import { SseStreamReader } from '../sse/sse-stream-reader';
import { readerChunks } from '../chunk-reader';
import { isMeterableUsage } from '../usage-estimate';
import { type FinishReason, UpstreamError, type Usage } from '../types';

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
 * upstream), returned at once when its bytes are already here (see SseStreamReader).
 *
 * Besides the transport's failures: an error object in the stream ('server_error' /
 * 'rate_limited' / 'client_error' by its type), malformed data, and a stream that ends before
 * `[DONE]` without any finish_reason ('protocol'). Events after `[DONE]` are ignored.
 *
 * If the upstream sent no usage although it was asked to, a last estimated usage item is added
 * so that streamed calls are always metered.
 */
export class OpenAIStreamReader<T extends StreamItem> extends SseStreamReader<T> {
  /** `[DONE]` came: later events are ignored. */
  private done = false;
  /** Some choice had a finish_reason. */
  private finished = false;
  private usageSeen = false;
  private outputCharacters = 0;
  private last: T | undefined;

  constructor(
    body: UpstreamBody,
    signal: CallSignal,
    private readonly accounting: StreamAccounting<T>,
  ) {
    super(body, signal);
  }

  protected event(event: SseEvent, batch: T[]): void {
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

  protected end(batch: T[]): void {
    if (!this.done && !this.finished) throw new UpstreamError('protocol', 'The upstream stream ended before [DONE] and before any finish_reason');
    if (!this.usageSeen && this.last !== undefined) batch.push(this.accounting.usageItem(this.last, this.outputCharacters));
  }
}

/** The same chunks one by one (see OpenAIStreamReader). */
export function openAIStreamItems<T extends StreamItem>(body: UpstreamBody, signal: CallSignal, accounting: StreamAccounting<T>): AsyncGenerator<T, void, undefined> {
  return readerChunks(new OpenAIStreamReader(body, signal, accounting));
}
