import { AnthropicAdapter } from './anthropic/anthropic.adapter';
import { UpstreamHttp } from './http/upstream-http';
import { OpenAICompatibleAdapter } from './openai/openai-compatible.adapter';
import type { ProviderAdapter, ProviderType } from './types';

export type ProviderAdapters = Readonly<Record<ProviderType, ProviderAdapter>>;

/**
 * One adapter per provider type over one HTTP client. Adding a provider (Gemini, Bedrock) is one
 * adapter file plus one line here; the Record type makes a missing registration a compile error.
 */
export function createAdapters(http: UpstreamHttp = new UpstreamHttp()): ProviderAdapters {
  return {
    'openai-compatible': new OpenAICompatibleAdapter(http),
    anthropic: new AnthropicAdapter(http),
  };
}

const sharedHttp = new UpstreamHttp();
const sharedAdapters = createAdapters(sharedHttp);

/** The process-wide adapter for a provider type (all share one pool per upstream origin). */
export function adapterFor(provider: ProviderType): ProviderAdapter {
  const adapter = sharedAdapters[provider];
  if (adapter === undefined) throw new Error(`No adapter for provider type ${String(provider)}`);
  return adapter;
}

/** Closes the shared upstream connections (on shutdown, after in-flight requests finished). */
export function closeUpstreamConnections(): Promise<void> {
  return sharedHttp.close();
}
