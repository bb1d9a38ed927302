// Turns one event into webhook deliveries: one per active subscription whose scope and filters match,
// written in the consumer's transaction (so a delivery exists if and only if the event was recorded).
import type { DomainEvent } from '@docksphere/events';
import type { Kysely } from '@docksphere/db';
import type { DeliveryJob } from '../queue/delivery-queue.ts';
import { insertDelivery } from '../store/deliveries.ts';
import { candidateSubscriptions } from '../store/subscriptions.ts';
import { filterOf, namespaceOf, repositoryOf, subscriptionMatches } from './webhook-filters.ts';
import { webhookPayload } from './webhook-payload.ts';

export async function fanOut(trx: Kysely<any>, event: DomainEvent): Promise<DeliveryJob[]> {
  if (!filterOf(event.type)) return [];
  const repository = repositoryOf(event);
  const subs = await candidateSubscriptions(trx, repository, repository ? namespaceOf(repository) : undefined);
  const jobs: DeliveryJob[] = [];
  for (const sub of subs) {
    if (!subscriptionMatches(sub, event)) continue;
    const id = await insertDelivery(trx, {
      id: crypto.randomUUID(),
      subscriptionId: sub.id,
      eventId: event.id,
      eventType: event.type,
      body: JSON.stringify(webhookPayload(event, sub)),
    });
    if (id) jobs.push({ deliveryId: id, subscriptionId: sub.id });
  }
  return jobs;
}
