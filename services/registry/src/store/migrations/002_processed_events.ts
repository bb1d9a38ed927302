// Which metadata.* events the registry's lifecycle consumer has applied, so a redelivery is skipped.
import { processedEventsMigration } from '@docksphere/events';

export const processedEventsTableMigration = processedEventsMigration('registry', '002_processed_events');
