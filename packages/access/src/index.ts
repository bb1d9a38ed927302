// Access: the scope grammar, registry token claims, action checks. Pure, no I/O.
export * from './scope.ts';
export * from './principal.ts';
