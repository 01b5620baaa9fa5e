export { startFakeAnthropic, startFakeOpenAI, startFakeUpstream, type FakeUpstream, type FakeUpstreamOptions } from './server';
export { connectFakeUpstream, type FakeUpstreamClient } from './client';
export { modelBehaviour, parseControlScript, type Behaviour, type ControlScript, type Fault, type FaultName } from './behaviour';
export type { RecordedRequest } from './recorder';
export type { FakeUpstreamKind } from './wire';
export { countWords, embeddingFor, DEFAULT_EMBEDDING_DIMENSIONS } from './conversation';
export { DEFAULT_OPENAI_MODELS } from './openai-wire';
