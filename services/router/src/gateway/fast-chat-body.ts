import type { ChatCompletionBody } from './gateway.schemas';

/**
 * The common chat request — text messages from system, developer, user and assistant, and the
 * usual scalar options — recognised without zod. It is the router's most frequent body, and
 * zod's generic object parsing (a new object per level, an issue context, every one of the
 * schema's 25 keys visited) cost more than anything else in its validation.
 *
 * It only ever says yes to a body that `chatCompletionRequestSchema` accepts unchanged (the
 * property test in fast-chat-body.spec.ts checks it against zod on generated bodies); anything
 * else — another field, a content array, a tool call, a value out of range, a missing assistant
 * content (zod fills in null) — returns undefined, and the caller validates with zod, which
 * also writes the error.
 */
export function fastChatBody(value: unknown): ChatCompletionBody | undefined {
  if (!isPlainObject(value)) return undefined;
  let hasModel = false;
  let hasMessages = false;
  for (const key in value) {
    const field = value[key];
    switch (key) {
      case 'model':
        if (!(typeof field === 'string' && field.length >= 1 && field.length <= 256)) return undefined;
        hasModel = true;
        break;
      case 'messages':
        if (!textMessages(field)) return undefined;
        hasMessages = true;
        break;
      case 'max_tokens':
      case 'max_completion_tokens':
        if (!(Number.isInteger(field) && (field as number) >= 1)) return undefined;
        break;
      case 'temperature':
        if (!inRange(field, 0, 2)) return undefined;
        break;
      case 'top_p':
        if (!inRange(field, 0, 1)) return undefined;
        break;
      case 'presence_penalty':
      case 'frequency_penalty':
        if (!inRange(field, -2, 2)) return undefined;
        break;
      case 'n':
        if (!(Number.isInteger(field) && (field as number) >= 1 && (field as number) <= 8)) return undefined;
        break;
      case 'top_logprobs':
        if (!(Number.isInteger(field) && (field as number) >= 0 && (field as number) <= 20)) return undefined;
        break;
      case 'seed':
        if (!Number.isInteger(field)) return undefined;
        break;
      case 'user':
        if (!(typeof field === 'string' && field.length <= 256)) return undefined;
        break;
      case 'stream':
      case 'logprobs':
      case 'store':
      case 'parallel_tool_calls':
        if (typeof field !== 'boolean') return undefined;
        break;
      case 'reasoning_effort':
        if (!(field === 'low' || field === 'medium' || field === 'high')) return undefined;
        break;
      case 'stream_options':
        if (!(field === null || streamOptions(field))) return undefined;
        break;
      default:
        return undefined;
    }
  }
  return hasModel && hasMessages ? (value as ChatCompletionBody) : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function inRange(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && value >= min && value <= max;
}

function streamOptions(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  for (const key in value) {
    if (key !== 'include_usage' || typeof value[key] !== 'boolean') return false;
  }
  return true;
}

/** 1–10,000 messages, each `{role, content: string, name?: string}` with role system, developer, user or assistant. */
function textMessages(value: unknown): boolean {
  if (!Array.isArray(value) || value.length < 1 || value.length > 10_000) return false;
  for (const message of value) {
    if (!isPlainObject(message)) return false;
    let hasRole = false;
    let hasContent = false;
    for (const key in message) {
      const field = message[key];
      if (key === 'role') {
        if (!(field === 'user' || field === 'system' || field === 'assistant' || field === 'developer')) return false;
        hasRole = true;
      } else if (key === 'content') {
        if (typeof field !== 'string') return false;
        hasContent = true;
      } else if (key === 'name') {
        if (typeof field !== 'string') return false;
      } else {
        return false;
      }
    }
    if (!hasRole || !hasContent) return false;
  }
  return true;
}
