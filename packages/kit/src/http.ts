// The one way a DockSphere process builds its Fastify server, so every main (and all-in-one)
// shares the same logging, proxy trust and timeouts.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { TlsFiles } from './config.ts';
import type { Logger } from './logger.ts';
import { readTlsFiles, reloadTlsOnChange } from './tls.ts';

export interface HttpServerOptions {
  logger: Logger;
  /** Log every request at info (default: off; the registry's hot paths would drown the log). */
  logRequests?: boolean;
  /**
   * Answers router errors (bad percent-encoding, over-long params), which happen before any plugin
   * runs; e.g. the registry's registryFrameworkErrors, so /v2 answers them in the OCI error format.
   */
  frameworkErrors?: FastifyServerOptions['frameworkErrors'];
  /** Serve HTTPS with these PEM files (config.server.tls), picking up renewed files without a restart. */
  tls?: TlsFiles | undefined;
}

export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const app = Fastify({
    ...(options.tls ? { https: readTlsFiles(options.tls) } : {}),
    loggerInstance: options.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: !options.logRequests }),
    trustProxy: true,
    // Repository names with several components plus a digest make long paths.
    routerOptions: { maxParamLength: 1024 },
    forceCloseConnections: true,
    // Large uploads stream for minutes: no whole-request timeout, but a bound on idle sockets.
    requestTimeout: 0,
    keepAliveTimeout: 65_000,
    ...(options.frameworkErrors ? { frameworkErrors: options.frameworkErrors } : {}),
  }) as unknown as FastifyInstance;
  if (options.tls) reloadTlsOnChange(app, options.tls, options.logger);
  return app;
}
