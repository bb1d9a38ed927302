// Prints the registry's own output after a failed test, so a client error comes with the server side of the story.
import { afterEach } from 'vitest';
import type { RegistryUnderTest } from './registry-under-test.ts';

const TAIL = 12_000;

export function printLogsOnFailure(registry: () => RegistryUnderTest | undefined): void {
  afterEach((ctx) => {
    const r = registry();
    if (!r || ctx.task.result?.state !== 'fail') return;
    console.error(`--- server logs for "${ctx.task.name}" (last ${TAIL} chars)\n${r.logs().slice(-TAIL)}`);
  });
}
