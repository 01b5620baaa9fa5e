// Loaded first by main.ts so tracing hooks into http and pg before they are required.
import { startTelemetry } from '@vectorstack/observability';

startTelemetry('router');
