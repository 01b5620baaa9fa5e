import { parseArgs } from 'node:util';
import type { ControlScript } from './behaviour';
import { type FakeUpstream, type FakeUpstreamOptions, startFakeUpstream } from './server';
import type { FakeUpstreamKind } from './wire';

export const USAGE = `Usage: node libs/fake-upstream/dist/cli.js --kind openai|anthropic [options]
  --port <n>                   listen port (default 0: any free port)
  --host <address>             listen address (default 127.0.0.1)
  --api-key <key>              require this key (Bearer for openai, x-api-key for anthropic)
  --record-limit <n>           requests kept in the log (default 10000; 0 for benchmarks)
  --latency-ms <n>             delay before every answer
  --stream-chunk-delay-ms <n>  delay between streamed events
Prints one JSON line {"kind","url","baseUrl","port","pid"} when listening; stops on SIGTERM/SIGINT.`;

function nonNegativeInteger(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new Error(`${flag} must be a non-negative integer, got ${value}`);
  return number;
}

/** The CLI's arguments → which fake to start, with which options. Throws with a message on bad input. */
export function parseCliArgs(argv: string[]): { kind: FakeUpstreamKind; options: FakeUpstreamOptions } {
  const { values } = parseArgs({
    args: argv,
    options: {
      kind: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'api-key': { type: 'string' },
      'record-limit': { type: 'string' },
      'latency-ms': { type: 'string' },
      'stream-chunk-delay-ms': { type: 'string' },
    },
    strict: true,
  });
  if (values.kind !== 'openai' && values.kind !== 'anthropic') throw new Error('--kind must be openai or anthropic');
  const behaviour: ControlScript = {};
  const latencyMs = nonNegativeInteger(values['latency-ms'], '--latency-ms');
  const streamChunkDelayMs = nonNegativeInteger(values['stream-chunk-delay-ms'], '--stream-chunk-delay-ms');
  if (latencyMs !== undefined) behaviour.latencyMs = latencyMs;
  if (streamChunkDelayMs !== undefined) behaviour.streamChunkDelayMs = streamChunkDelayMs;
  const options: FakeUpstreamOptions = { port: nonNegativeInteger(values.port, '--port') ?? 0, behaviour };
  if (values.host !== undefined) options.host = values.host;
  if (values['api-key'] !== undefined) options.apiKey = values['api-key'];
  const recordLimit = nonNegativeInteger(values['record-limit'], '--record-limit');
  if (recordLimit !== undefined) options.recordLimit = recordLimit;
  return { kind: values.kind, options };
}

/** Starts the fake described by `argv` and writes its address line to `out`. */
export async function runCli(argv: string[], out: (line: string) => void): Promise<FakeUpstream> {
  const { kind, options } = parseCliArgs(argv);
  const fake = await startFakeUpstream(kind, options);
  out(`${JSON.stringify({ kind, url: fake.url, baseUrl: fake.baseUrl, port: fake.port, pid: process.pid })}\n`);
  return fake;
}
