// Permission levels and the registry actions each one carries: read = pull, write = pull and push,
// admin = also delete (and managing grants and settings, which the API checks).

export type Level = 'read' | 'write' | 'admin';

const RANK: Record<Level, number> = { read: 1, write: 2, admin: 3 };

export const LEVELS: readonly Level[] = ['read', 'write', 'admin'];

export function atLeast(held: Level | undefined, needed: Level): boolean {
  return held !== undefined && RANK[held] >= RANK[needed];
}

export function highest(a: Level | undefined, b: Level | undefined): Level | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return RANK[a] >= RANK[b] ? a : b;
}

export const ACTIONS_OF: Record<Level, readonly string[]> = {
  read: ['pull'],
  write: ['pull', 'push'],
  admin: ['pull', 'push', 'delete'],
};
