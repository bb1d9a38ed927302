// The DeliveryQueue for all-in-one: jobs in memory, timers for delays, the same per-process and
// per-endpoint limits as the BullMQ queue. Jobs lost with the process are found again by the
// sweep over pending deliveries in the database.
import { WORKER_ERROR_RETRY_MS, type DeliveryJob, type DeliveryQueue, type DeliveryQueueOptions, type DeliveryWorker } from './delivery-queue.ts';

export class InProcessDeliveryQueue implements DeliveryQueue {
  private readonly ready: DeliveryJob[] = [];
  private readonly delayed = new Map<string, NodeJS.Timeout>();
  /** Every delivery id waiting, delayed or running: enqueue is a no-op for these. */
  private readonly known = new Set<string>();
  private readonly runningPerEndpoint = new Map<string, number>();
  private readonly running = new Set<Promise<void>>();
  private worker: DeliveryWorker | undefined;
  private closed = false;

  constructor(private readonly options: DeliveryQueueOptions) {}

  async enqueue(job: DeliveryJob, delayMs = 0): Promise<void> {
    if (this.closed || this.known.has(job.deliveryId)) return;
    this.known.add(job.deliveryId);
    this.schedule(job, delayMs);
  }

  process(worker: DeliveryWorker): void {
    if (this.worker) throw new Error('the delivery queue already has a worker');
    this.worker = worker;
    this.pump();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    this.ready.length = 0;
    await Promise.allSettled([...this.running]);
  }

  private schedule(job: DeliveryJob, delayMs: number): void {
    if (delayMs <= 0) {
      this.ready.push(job);
      this.pump();
      return;
    }
    const timer = setTimeout(() => {
      this.delayed.delete(job.deliveryId);
      this.ready.push(job);
      this.pump();
    }, delayMs);
    timer.unref?.();
    this.delayed.set(job.deliveryId, timer);
  }

  private pump(): void {
    const worker = this.worker;
    if (!worker || this.closed) return;
    for (let i = 0; i < this.ready.length && this.running.size < this.options.concurrency; ) {
      const job = this.ready[i]!;
      const busy = this.runningPerEndpoint.get(job.subscriptionId) ?? 0;
      // An endpoint at its limit: its jobs wait in line, others go ahead.
      if (busy >= this.options.perEndpointConcurrency) {
        i++;
        continue;
      }
      this.ready.splice(i, 1);
      this.runningPerEndpoint.set(job.subscriptionId, busy + 1);
      const run = this.run(worker, job).finally(() => {
        this.running.delete(run);
        const left = (this.runningPerEndpoint.get(job.subscriptionId) ?? 1) - 1;
        if (left > 0) this.runningPerEndpoint.set(job.subscriptionId, left);
        else this.runningPerEndpoint.delete(job.subscriptionId);
        this.pump();
      });
      this.running.add(run);
    }
  }

  private async run(worker: DeliveryWorker, job: DeliveryJob): Promise<void> {
    let delay: number | undefined;
    try {
      const outcome = await worker(job);
      if (outcome.kind === 'retry') delay = outcome.delayMs;
    } catch (err) {
      this.options.logger?.error({ deliveryId: job.deliveryId, err: (err as Error).message }, 'webhook delivery job failed; retrying');
      delay = WORKER_ERROR_RETRY_MS;
    }
    if (delay === undefined || this.closed) {
      this.known.delete(job.deliveryId);
      return;
    }
    this.schedule(job, delay);
  }
}
