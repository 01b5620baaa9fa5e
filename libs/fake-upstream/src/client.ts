import type { Behaviour, ControlScript } from './behaviour';
import type { RecordedRequest } from './recorder';

/**
 * Controls a fake upstream running in another process (the CLI) through its control API:
 *   GET  /__control          the current behaviour
 *   POST /__control          apply a control script (JSON), answers the new behaviour (400 if invalid)
 *   POST /__control/reset    start behaviour again and an empty request log
 *   GET  /__requests         the recorded requests, oldest first
 *   DELETE /__requests       clear the log
 *   GET  /healthz            200 when listening
 */
export interface FakeUpstreamClient {
  control(script: ControlScript): Promise<Behaviour>;
  behaviour(): Promise<Behaviour>;
  reset(): Promise<void>;
  requests(): Promise<RecordedRequest[]>;
  clearRequests(): Promise<void>;
  waitFor(predicate: (requests: RecordedRequest[]) => boolean, timeoutMs?: number): Promise<RecordedRequest[]>;
}

/** `url` is the fake's origin (what the CLI prints as `url`). */
export function connectFakeUpstream(url: string): FakeUpstreamClient {
  const origin = url.replace(/\/+$/, '');
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${origin}${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`fake upstream ${method} ${path} answered ${response.status}: ${text}`);
    return JSON.parse(text) as T;
  }
  const client: FakeUpstreamClient = {
    control: (script) => call<Behaviour>('POST', '/__control', script),
    behaviour: () => call<Behaviour>('GET', '/__control'),
    reset: async () => {
      await call('POST', '/__control/reset');
    },
    requests: () => call<RecordedRequest[]>('GET', '/__requests'),
    clearRequests: async () => {
      await call('DELETE', '/__requests');
    },
    async waitFor(predicate, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const requests = await client.requests();
        if (predicate(requests)) return requests;
        if (Date.now() >= deadline) throw new Error(`fake upstream at ${origin}: condition not met within ${timeoutMs} ms (${requests.length} requests recorded)`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
  };
  return client;
}
