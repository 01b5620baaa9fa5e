import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';

type Env = Record<string, string | undefined>;

/**
 * Tracing is off unless the operator asks for it with the standard variables:
 * an OTLP endpoint, or OTEL_TRACES_EXPORTER naming an exporter. OTEL_SDK_DISABLED=true
 * always wins. Everything else (sampler, resource, headers) the SDK reads itself.
 */
export function isTelemetryEnabled(env: Env = process.env): boolean {
  if (env.OTEL_SDK_DISABLED === 'true') return false;
  const exporter = env.OTEL_TRACES_EXPORTER;
  if (exporter !== undefined && exporter !== '') return exporter !== 'none';
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

let sdk: NodeSDK | undefined;

/**
 * Starts the OpenTelemetry SDK for a service. Call it first thing in main.ts,
 * before Nest, pg or http are loaded, so their instrumentation can hook in.
 */
export function startTelemetry(serviceName: string, env: Env = process.env): boolean {
  if (sdk || !isTelemetryEnabled(env)) return false;
  process.env.OTEL_SERVICE_NAME ??= `vectorstack-${serviceName}`;
  sdk = new NodeSDK({
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => /^\/(healthz|readyz|metrics)\b/.test(req.url ?? '') }),
      new PgInstrumentation(),
    ],
  });
  sdk.start();
  return true;
}

export async function shutdownTelemetry(): Promise<void> {
  const running = sdk;
  sdk = undefined;
  await running?.shutdown();
}
