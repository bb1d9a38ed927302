// Polling waits for servers that were just started: until a URL answers, a port accepts, or a check passes.
import net from 'node:net';

export interface WaitOptions {
  /** Give up after this many milliseconds (default 30 s). */
  timeoutMs?: number;
  /** Pause between attempts (default 100 ms). */
  intervalMs?: number;
  /** Checked between attempts: a server that has exited will never answer, so fail fast with its reason. */
  abort?: () => string | undefined;
}

/** Calls `check` until it returns true; throws with the last error (or the abort reason) when time runs out. */
export async function waitUntil(what: string, check: () => Promise<boolean>, opts: WaitOptions = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let last: unknown;
  for (;;) {
    const aborted = opts.abort?.();
    if (aborted) throw new Error(`${what}: ${aborted}`);
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const reason = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(`timed out waiting for ${what}${reason}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}

/**
 * Waits until `url` answers any HTTP response (a 401 from /v2/ counts: the server is up), or one
 * of `statuses` when given.
 */
export async function waitForHttp(url: string, opts: WaitOptions & { statuses?: number[] } = {}): Promise<void> {
  await waitUntil(
    url,
    async () => {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      return !opts.statuses || opts.statuses.includes(res.status);
    },
    opts,
  );
}

/** Waits until something accepts TCP connections on 127.0.0.1:port. */
export async function waitForPort(port: number, opts: WaitOptions = {}): Promise<void> {
  await waitUntil(
    `127.0.0.1:${port}`,
    () =>
      new Promise<boolean>((resolve, reject) => {
        const socket = net.connect({ host: '127.0.0.1', port });
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', reject);
      }),
    opts,
  );
}
