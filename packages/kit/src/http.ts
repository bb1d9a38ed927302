// The one way a DockSphere process builds its Fastify server, so every main (and all-in-one)
// shares the same logging, proxy trust, timeouts and draining shutdown.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { HttpTimeouts, ServerConfig, TlsFiles } from './config.ts';
import type { Logger } from './logger.ts';
import { beginDraining, isDraining } from './lifecycle.ts';
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
  /**
   * config.server: TLS files, trusted proxies and timeouts. Without it: plain HTTP, no proxy trusted,
   * the default timeouts.
   */
  server?: Pick<ServerConfig, 'tls' | 'trustedProxies' | 'timeouts'> | undefined;
  /** Serve HTTPS with these PEM files (overrides server.tls), picking up renewed files without a restart. */
  tls?: TlsFiles | undefined;
}

/** The defaults of config.server.timeouts (SERVER_*_TIMEOUT_MS): generous enough for a push over a slow link. */
export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = {
  headersMs: 30_000,
  bodyIdleMs: 120_000,
  keepAliveMs: 65_000,
  drainMs: 120_000,
};

function hasBody(raw: IncomingMessage): boolean {
  const cl = raw.headers['content-length'];
  return raw.headers['transfer-encoding'] !== undefined || (cl !== undefined && cl !== '0');
}

export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const tls = options.tls ?? options.server?.tls;
  const timeouts = { ...DEFAULT_HTTP_TIMEOUTS, ...options.server?.timeouts };
  const trusted = options.server?.trustedProxies ?? [];
  // headersTimeout bounds a slowloris sender; Node checks it every connectionsCheckingInterval.
  const nodeServerOptions = {
    headersTimeout: timeouts.headersMs,
    connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(timeouts.headersMs / 4))),
  };
  const app = Fastify({
    ...(tls ? { https: { ...readTlsFiles(tls), ...nodeServerOptions } } : { http: nodeServerOptions }),
    loggerInstance: options.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: !options.logRequests }),
    // Forwarded headers only from these hops (addresses/CIDRs): anyone else's X-Forwarded-For is
    // ignored, so request.ip (audit, rate limits, logs) is the address that really connected.
    trustProxy: trusted.length > 0 ? [...trusted] : false,
    // Repository names with several components plus a digest make long paths.
    routerOptions: { maxParamLength: 1024 },
    // Draining: close() stops accepting and closes idle keep-alive connections; in-flight requests
    // finish (up to timeouts.drainMs, see preClose below) and are answered, not refused.
    forceCloseConnections: 'idle',
    return503OnClosing: false,
    // Large uploads stream for minutes: no whole-request timeout; a body that stalls for bodyIdleMs is cut.
    requestTimeout: 0,
    keepAliveTimeout: timeouts.keepAliveMs,
    ...(options.frameworkErrors ? { frameworkErrors: options.frameworkErrors } : {}),
  }) as unknown as FastifyInstance;

  // Idle timeout while a request body is arriving; none while the handler works or the reply
  // streams (a slow pull is bounded by TCP back-pressure, and hashing a large blob can take a while).
  app.addHook('onRequest', (request, _reply, done) => {
    const socket = request.raw.socket as Partial<Socket> | undefined;
    // inject()'s fake socket has no timeouts to set.
    if (typeof socket?.setTimeout !== 'function') return done();
    if (hasBody(request.raw) && !request.raw.complete) {
      socket.setTimeout(timeouts.bodyIdleMs);
      request.raw.once('end', () => socket.setTimeout?.(0));
    } else socket.setTimeout(0);
    done();
  });
  app.server.on('timeout', (socket: { destroy: () => void }) => socket.destroy());

  app.addHook('onSend', (_request, reply, payload, done) => {
    // A draining server ends every connection after its current reply, so no proxy reuses it.
    if (isDraining()) reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('preClose', (done) => {
    beginDraining();
    const deadline = setTimeout(() => {
      options.logger.warn({ drainMs: timeouts.drainMs }, 'drain deadline reached: closing the connections still open');
      app.server.closeAllConnections();
    }, timeouts.drainMs);
    deadline.unref();
    app.server.once('close', () => clearTimeout(deadline));
    done();
  });
  if (tls) reloadTlsOnChange(app, tls, options.logger);
  return app;
}
