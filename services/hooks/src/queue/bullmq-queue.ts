// The DeliveryQueue on BullMQ (Redis), for the distributed mode: one job per delivery id (BullMQ
// refuses a second job with the same id), retries as delayed jobs, and per-endpoint concurrency as
// a Redis semaphore with leases, so a crashed worker's slot frees itself.
import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { WORKER_ERROR_RETRY_MS, type DeliveryJob, type DeliveryQueue, type DeliveryQueueOptions, type DeliveryWorker } from './delivery-queue.ts';

export const DELIVERY_QUEUE_NAME = 'docksphere-webhook-deliveries';

/** Takes a slot if fewer than ARGV[3] live leases exist: KEYS[1] sorted set of token -> lease expiry. */
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[1] + ARGV[2], ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`;

/** How long a job waits before trying again for a busy endpoint's slot. */
const SLOT_WAIT_MS = 250;

export interface BullMqQueueOptions extends DeliveryQueueOptions {
  redisUrl: string;
  /** Key prefix (tests use their own). */
  prefix?: string;
}

export class BullMqDeliveryQueue implements DeliveryQueue {
  private readonly queue: Queue<DeliveryJob>;
  private readonly redis: Redis;
  private worker: Worker<DeliveryJob> | undefined;
  private workerConnection: Redis | undefined;
  private readonly prefix: string;

  constructor(private readonly options: BullMqQueueOptions) {
    this.prefix = options.prefix ?? 'docksphere';
    // Adds fail fast while Redis is away (the caller logs it and the sweep re-queues later) instead
    // of waiting in ioredis's offline queue and stalling the event consumer behind them.
    this.redis = new Redis(options.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    this.redis.on('error', (err: Error) => options.logger?.warn({ err: err.message }, 'webhook queue: Redis connection error'));
    this.queue = new Queue<DeliveryJob>(DELIVERY_QUEUE_NAME, { connection: this.redis, prefix: this.prefix });
  }

  async enqueue(job: DeliveryJob, delayMs = 0): Promise<void> {
    await this.queue.add('deliver', job, {
      jobId: job.deliveryId,
      delay: Math.max(0, delayMs),
      // Gone once finished, so a later redelivery sweep could add the id again; the worker's lease decides.
      removeOnComplete: true,
      removeOnFail: true,
      attempts: 1,
    });
  }

  process(worker: DeliveryWorker): void {
    if (this.worker) throw new Error('the delivery queue already has a worker');
    // The worker's blocking commands must survive a Redis restart: BullMQ requires maxRetriesPerRequest: null.
    this.workerConnection = new Redis(this.options.redisUrl, { maxRetriesPerRequest: null });
    this.workerConnection.on('error', (err: Error) => this.options.logger?.warn({ err: err.message }, 'webhook worker: Redis connection error'));
    this.worker = new Worker<DeliveryJob>(DELIVERY_QUEUE_NAME, (job, token) => this.run(worker, job, token), {
      connection: this.workerConnection,
      prefix: this.prefix,
      concurrency: this.options.concurrency,
      // A job runs at most one attempt (bounded by its timeout) before it settles.
      lockDuration: Math.max(30_000, this.options.jobTimeoutMs * 2),
    });
    this.worker.on('error', (err) => this.options.logger?.warn({ err: err.message }, 'webhook delivery worker error'));
  }

  private async run(worker: DeliveryWorker, job: Job<DeliveryJob>, token: string | undefined): Promise<void> {
    const slotKey = `${this.prefix}:${DELIVERY_QUEUE_NAME}:endpoint:${job.data.subscriptionId}`;
    const slotToken = `${job.id}:${crypto.randomUUID()}`;
    const leaseMs = this.options.jobTimeoutMs + 10_000;
    const acquired = await this.redis.eval(ACQUIRE, 1, slotKey, String(Date.now()), String(leaseMs), String(this.options.perEndpointConcurrency), slotToken);
    if (acquired !== 1) {
      await job.moveToDelayed(Date.now() + SLOT_WAIT_MS + Math.floor(Math.random() * SLOT_WAIT_MS), token);
      throw new DelayedError();
    }
    let delay: number | undefined;
    try {
      const outcome = await worker(job.data);
      if (outcome.kind === 'retry') delay = outcome.delayMs;
    } catch (err) {
      this.options.logger?.error({ deliveryId: job.data.deliveryId, err: (err as Error).message }, 'webhook delivery job failed; retrying');
      delay = WORKER_ERROR_RETRY_MS;
    } finally {
      await this.redis.zrem(slotKey, slotToken).catch(() => undefined);
    }
    if (delay !== undefined) {
      await job.moveToDelayed(Date.now() + delay, token);
      throw new DelayedError();
    }
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
    for (const connection of [this.workerConnection, this.redis]) {
      if (connection && connection.status !== 'end') await connection.quit().catch(() => connection.disconnect());
    }
  }
}
