/**
 * The fake's deterministic "model", shared by both wire formats.
 *
 * Token accounting: one token per whitespace-separated word.
 *   prompt tokens = words in every text of the request: system prompt, and the text parts of
 *                   every message (tool results included); images, tool definitions and tool
 *                   call arguments count 0.
 *   completion tokens = words of the answer + words of the thinking (when thinking) + words of
 *                   the tool call's JSON arguments (when it calls a tool).
 *
 * The answer:
 *   - the last turn is a tool result → "Tool said: <result>";
 *   - tools are offered and either a tool is required/forced or the last user text mentions a
 *     tool's name → a call to that tool (forced, mentioned, else the first) with arguments
 *     `{"text": "<last user text>"}`;
 *   - otherwise → "You said: <last user text>" (words re-joined with single spaces), or
 *     "You said nothing." for an empty prompt.
 *   Stop sequences cut the answer before their first occurrence (finish "stop"); then max tokens
 *   keeps the first N words (finish "length"). Thinking, when on, is "Considering: <last user text>"
 *   and is not limited by max tokens.
 */

export function words(text: string): string[] {
  return text.split(/\s+/).filter((word) => word.length > 0);
}

export function countWords(text: string): number {
  let count = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const space = c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11 || c === 160;
    if (!space && !inWord) count++;
    inWord = !space;
  }
  return count;
}

export interface Conversation {
  promptTokens: number;
  /** Text of the last user turn that is not a tool result. */
  lastUserText: string;
  /** Set when the conversation's last turn is a tool result. */
  toolResult: string | undefined;
  tools: string[];
  toolMode: 'auto' | 'none' | 'required';
  forcedTool: string | undefined;
  maxTokens: number | undefined;
  stop: string[];
  thinking: boolean;
}

export type FinishKind = 'stop' | 'length' | 'tool_calls';

export interface ToolCallPlan {
  id: string;
  name: string;
  arguments: string;
}

export interface Reply {
  /** The answer's words (the answer text is `words.join(' ')`). */
  words: string[];
  thinking: string[] | undefined;
  toolCall: ToolCallPlan | undefined;
  finish: FinishKind;
  /** The stop sequence that cut the answer, if one did. */
  stopSequence: string | null;
  completionTokens: number;
}

function mentionedTool(text: string, tools: string[]): string | undefined {
  return tools.find((name) => text.includes(name));
}

export function planReply(conversation: Conversation, requestSeq: number): Reply {
  const thinking = conversation.thinking ? ['Considering:', ...words(conversation.lastUserText)] : undefined;
  const thinkingTokens = thinking?.length ?? 0;
  if (conversation.toolResult === undefined && conversation.tools.length > 0 && conversation.toolMode !== 'none') {
    const name =
      conversation.forcedTool ??
      mentionedTool(conversation.lastUserText, conversation.tools) ??
      (conversation.toolMode === 'required' ? conversation.tools[0] : undefined);
    if (name !== undefined) {
      const args = JSON.stringify({ text: conversation.lastUserText });
      return {
        words: [],
        thinking,
        toolCall: { id: `call_fake_${requestSeq}`, name, arguments: args },
        finish: 'tool_calls',
        stopSequence: null,
        completionTokens: thinkingTokens + countWords(args),
      };
    }
  }
  let answer: string[];
  if (conversation.toolResult !== undefined) answer = ['Tool', 'said:', ...words(conversation.toolResult)];
  else {
    const said = words(conversation.lastUserText);
    answer = said.length ? ['You', 'said:', ...said] : ['You', 'said', 'nothing.'];
  }
  let finish: FinishKind = 'stop';
  let stopSequence: string | null = null;
  if (conversation.stop.length) {
    const text = answer.join(' ');
    let cut = -1;
    for (const stop of conversation.stop) {
      const at = stop ? text.indexOf(stop) : -1;
      if (at !== -1 && (cut === -1 || at < cut)) {
        cut = at;
        stopSequence = stop;
      }
    }
    if (cut !== -1) answer = words(text.slice(0, cut));
  }
  if (conversation.maxTokens !== undefined && answer.length > conversation.maxTokens) {
    answer = answer.slice(0, conversation.maxTokens);
    finish = 'length';
    stopSequence = null;
  }
  return { words: answer, thinking, toolCall: undefined, finish, stopSequence, completionTokens: answer.length + thinkingTokens };
}

/** Splits a string in two halves (for streaming tool-call arguments in more than one piece). */
export function halves(text: string): string[] {
  if (text.length < 2) return [text];
  const middle = Math.floor(text.length / 2);
  return [text.slice(0, middle), text.slice(middle)];
}

// ---- Embeddings --------------------------------------------------------------------------------

export const DEFAULT_EMBEDDING_DIMENSIONS = 16;

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * A deterministic unit vector for a text: an xorshift32 sequence seeded with the text's FNV-1a
 * hash, normalised to length 1. Same text → same vector; different texts → different vectors.
 */
export function embeddingFor(text: string, dimensions: number): number[] {
  let state = fnv1a(text) || 1;
  const vector = new Array<number>(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    const value = state / 0xffffffff - 0.5;
    vector[i] = value;
    norm += value * value;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let i = 0; i < dimensions; i++) vector[i] = Math.fround(vector[i] * scale);
  return vector;
}

export function embeddingBase64(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}
