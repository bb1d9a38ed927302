// Shared service kit: config, logging, the platform API error model.
export * from './config.ts';
export * from './logger.ts';
export * from './errors.ts';
export * from './http.ts';
export * from './process.ts';
export * from './lifecycle.ts';
export * from './openapi.ts';
export * from './health.ts';
export * from './pagination.ts';
export * from './secret-box.ts';
