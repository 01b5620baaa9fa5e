/** One dependency that /readyz checks (Postgres, Redis, Kafka, ...). */
export interface ReadinessProbe {
  /** Key shown in the /readyz body, e.g. "postgres". */
  readonly name: string;
  /** Resolves when the dependency answers; rejects otherwise. */
  check(): Promise<void>;
  /** Closes the probe's own resources on shutdown, when it has any. */
  close?(): Promise<void>;
}

export const READINESS_PROBES = Symbol('READINESS_PROBES');

export class ProbeTimeoutError extends Error {
  constructor(name: string, timeoutMs: number) {
    super(`${name} did not answer within ${timeoutMs} ms`);
    this.name = 'ProbeTimeoutError';
  }
}

/** Races a probe against a deadline so one hung dependency cannot hang /readyz. */
export async function checkWithTimeout(probe: ReadinessProbe, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProbeTimeoutError(probe.name, timeoutMs)), timeoutMs);
  });
  try {
    await Promise.race([probe.check(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
