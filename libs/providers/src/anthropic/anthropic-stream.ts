import { streamFailure } from '../http/upstream-errors';
import type { ChatCompletionChunk, FinishReason } from '../types';
import { finishReasonFor, usageFrom } from './anthropic-response';
import type { AnthropicStreamEvent, AnthropicUsage } from './anthropic.wire';

type Delta = ChatCompletionChunk['choices'][number]['delta'];

/**
 * Anthropic Messages stream events → OpenAI chat chunks, one event at a time (pure, no I/O).
 *
 * The chunk sequence is OpenAI's: a first chunk with `delta.role = 'assistant'`, content deltas, a
 * chunk with the finish_reason and an empty delta, then a usage chunk with `choices: []` (always;
 * the router decides whether its client asked for it).
 *
 * Thinking (seed 004: "thinking models send delta.content chunks that may include type:'thinking'
 * blocks before type:'text' blocks"): once a thinking block has started, the stream is a thinking
 * stream and every content delta is a one-part array — `[{type:'thinking', thinking}]` for thinking
 * deltas and `[{type:'text', text}]` for answer deltas — so a client accumulates typed parts and the
 * result matches the non-streaming content array. A stream without thinking blocks keeps plain
 * string deltas, exactly like OpenAI. Anthropic always sends thinking blocks first, so a stream is
 * one or the other from its first content delta. Signatures and redacted thinking are not passed on.
 */
export class AnthropicStreamTranslator {
  private id = '';
  private model: string;
  private roleSent = false;
  private thinking = false;
  private finishReason: FinishReason = null;
  private usage: Partial<AnthropicUsage> = {};
  private readonly toolIndexByBlock = new Map<number, number>();
  private stopped = false;

  constructor(
    model: string,
    private readonly created: number = Math.floor(Date.now() / 1000),
  ) {
    this.model = model;
  }

  /** True once `message_stop` arrived: the stream is complete. */
  get complete(): boolean {
    return this.stopped;
  }

  /** The OpenAI chunk an event becomes, if any. Throws UpstreamError for an `error` event. */
  translate(event: AnthropicStreamEvent): ChatCompletionChunk | undefined {
    switch (event.type) {
      case 'message_start':
        this.id = event.message.id;
        if (event.message.model) this.model = event.message.model;
        this.usage = { ...event.message.usage };
        return undefined;
      case 'content_block_start': {
        const block = event.content_block;
        if (block.type === 'thinking' || block.type === 'redacted_thinking') {
          this.thinking = true;
          const thinking = block.type === 'thinking' ? (block as { thinking?: string }).thinking : undefined;
          if (thinking) return this.chunk({ content: [{ type: 'thinking', thinking }] });
          return this.roleSent ? undefined : this.chunk({});
        }
        if (block.type === 'text') {
          const text = (block as { text?: string }).text ?? '';
          if (text) return this.chunk({ content: this.thinking ? [{ type: 'text', text }] : text });
          return this.roleSent ? undefined : this.chunk(this.thinking ? {} : { content: '' });
        }
        if (block.type === 'tool_use') {
          const { id, name } = block as { id: string; name: string };
          const index = this.toolIndexByBlock.size;
          this.toolIndexByBlock.set(event.index, index);
          const delta: Delta = { tool_calls: [{ index, id, type: 'function', function: { name, arguments: '' } }] };
          if (!this.roleSent) delta.content = null;
          return this.chunk(delta);
        }
        return undefined;
      }
      case 'content_block_delta': {
        const delta = event.delta;
        switch (delta.type) {
          case 'text_delta': {
            const text = (delta as { text: string }).text;
            return this.chunk({ content: this.thinking ? [{ type: 'text', text }] : text });
          }
          case 'thinking_delta':
            return this.chunk({ content: [{ type: 'thinking', thinking: (delta as { thinking: string }).thinking }] });
          case 'input_json_delta': {
            const index = this.toolIndexByBlock.get(event.index);
            const partial = (delta as { partial_json: string }).partial_json;
            if (index === undefined || !partial) return undefined;
            return this.chunk({ tool_calls: [{ index, function: { arguments: partial } }] });
          }
          default:
            return undefined; // signature_delta, citations_delta, ...
        }
      }
      case 'message_delta':
        if (event.usage) this.usage = { ...this.usage, ...event.usage };
        this.finishReason = finishReasonFor(event.delta.stop_reason);
        return this.chunk({}, this.finishReason);
      case 'message_stop':
        this.stopped = true;
        return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [], usage: usageFrom(this.usage) };
      case 'error':
        throw streamFailure(event);
      default:
        return undefined; // ping, content_block_stop, and event types a newer API version adds
    }
  }

  private chunk(delta: Delta, finishReason: FinishReason = null): ChatCompletionChunk {
    if (!this.roleSent) {
      this.roleSent = true;
      delta = { role: 'assistant', ...delta };
    }
    return {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
    };
  }
}
