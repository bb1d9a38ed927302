// The job interface webhook deliveries run on. Two implementations with the same behaviour: BullMQ on
// Redis (distributed: jobs survive restarts and are shared by every hooks replica) and an in-process
// queue (all-in-one). Retries are decided by the worker and scheduled by the queue.

export interface DeliveryJob {
  deliveryId: string;
  /** The subscription (endpoint) the delivery goes to: the unit of per-endpoint concurrency. */
  subscriptionId: string;
}

/** done: nothing more to do for this job; retry: run the job again after delayMs. */
export type DeliveryOutcome = { kind: 'done' } | { kind: 'retry'; delayMs: number };

export type DeliveryWorker = (job: DeliveryJob) => Promise<DeliveryOutcome>;

export interface DeliveryQueueLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface DeliveryQueueOptions {
  /** Jobs running at once in this process. */
  concurrency: number;
  /** Jobs running at once for one subscription (across every worker sharing the queue). */
  perEndpointConcurrency: number;
  /** Upper bound of one job's run, used to expire an endpoint slot a crashed worker held. */
  jobTimeoutMs: number;
  logger?: DeliveryQueueLogger;
}

export interface DeliveryQueue {
  /** Adds a job to run after delayMs (default now). A job for a delivery already waiting or running is not added twice. */
  enqueue(job: DeliveryJob, delayMs?: number): Promise<void>;
  /** Starts running jobs with worker (once per queue). A worker that throws gets its job retried after a short delay. */
  process(worker: DeliveryWorker): void;
  /** Stops taking jobs and waits for the running ones. */
  close(): Promise<void>;
}

/** Delay before a job whose worker threw (not an expected outcome: a database hiccup) runs again. */
export const WORKER_ERROR_RETRY_MS = 5_000;
