import { describeRedis, uniqueName } from '../support/services.ts';
import { createQueue } from '../../src/queue/create-queue.ts';
import { queueContract } from './queue.contract.ts';

describeRedis('BullMQ queue', (redisUrl) => {
  queueContract(
    (prefix, opts) => createQueue({ redisUrl, dataDir: '/nonexistent', prefix, defaultMaxAttempts: opts?.maxAttempts ?? 3, backoffBaseMs: 10 }),
    () => uniqueName('q'),
  );
});
