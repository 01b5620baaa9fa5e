import { testInfra, uniqueSuffix } from '@vectorstack/testing';
import { QueueEvents } from 'bullmq';
import { QueueName } from './jobs';
import { bullConnection, QueueWorker, TypedQueue } from './queue-worker';

describe('QueueWorker on real Redis', () => {
  const connection = () => bullConnection(testInfra.redisUrl());

  it('runs a typed handler, reports progress, and fails unknown job names without retrying', async () => {
    const prefix = `test-${uniqueSuffix()}`;
    const queue = new TypedQueue(QueueName.Training, connection(), prefix);
    const events = new QueueEvents(QueueName.Training, { connection: connection(), prefix });
    const seen: string[] = [];
    const worker = new QueueWorker(
      QueueName.Training,
      connection(),
      {
        'train-model': async (payload, context) => {
          seen.push(payload.jobId);
          await context.updateProgress(50);
          return { ok: true };
        },
      },
      {},
      prefix,
    );
    try {
      await Promise.all([worker.waitUntilReady(), events.waitUntilReady()]);
      const good = await queue.add('train-model', { tenantId: 't1', jobId: 'job-1' });
      await expect(good.waitUntilFinished(events, 20_000)).resolves.toEqual({ ok: true });
      expect(seen).toEqual(['job-1']);

      const unknown = await queue.queue.add('not-a-job', {}, { attempts: 5 });
      await expect(unknown.waitUntilFinished(events, 20_000)).rejects.toThrow(/No handler for job "not-a-job"/);
      const failed = await queue.queue.getJob(unknown.id as string);
      expect(failed?.attemptsMade).toBe(1);
    } finally {
      await worker.close();
      await events.close();
      await queue.queue.obliterate({ force: true });
      await queue.close();
    }
  });
});
