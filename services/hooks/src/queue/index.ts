// Chooses the delivery queue from config: BullMQ when REDIS_URL is set, the in-process queue otherwise.
import type { HooksConfig } from '@docksphere/kit';
import { BullMqDeliveryQueue } from './bullmq-queue.ts';
import type { DeliveryQueue, DeliveryQueueLogger } from './delivery-queue.ts';
import { InProcessDeliveryQueue } from './in-process-queue.ts';

export function createDeliveryQueue(config: HooksConfig, logger?: DeliveryQueueLogger): DeliveryQueue {
  const options = {
    concurrency: config.delivery.workerConcurrency,
    perEndpointConcurrency: config.delivery.perEndpointConcurrency,
    jobTimeoutMs: config.delivery.timeoutMs,
    ...(logger ? { logger } : {}),
  };
  return config.redisUrl ? new BullMqDeliveryQueue({ ...options, redisUrl: config.redisUrl }) : new InProcessDeliveryQueue(options);
}

export { BullMqDeliveryQueue, InProcessDeliveryQueue };
export type { DeliveryJob, DeliveryOutcome, DeliveryQueue, DeliveryWorker } from './delivery-queue.ts';
