// Display formats: sizes in binary units, short digests, relative and absolute times.
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[i]}`;
}

/** "sha256:0123456789ab" */
export function shortDigest(digest: string): string {
  const [alg, hex] = digest.split(':');
  return hex ? `${alg}:${hex.slice(0, 12)}` : digest;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function timeAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const seconds = Math.round((now - new Date(iso).getTime()) / 1000);
  if (seconds < 60) return 'just now';
  const steps: Array<[string, number]> = [
    ['minute', 60],
    ['hour', 3600],
    ['day', 86400],
    ['month', 30 * 86400],
    ['year', 365 * 86400],
  ];
  let chosen = steps[0]!;
  for (const step of steps) if (seconds >= step[1]) chosen = step;
  const n = Math.floor(seconds / chosen[1]);
  return `${n} ${chosen[0]}${n === 1 ? '' : 's'} ago`;
}
