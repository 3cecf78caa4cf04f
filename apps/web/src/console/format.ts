/** How the console writes times, durations and ids. */

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });

/** "14:05:09", with the day in front when it is not today. */
export function stamp(iso: string | null | undefined, now = new Date()): string {
  if (!iso) return '–';
  const date = new Date(iso);
  const time = timeFormat.format(date);
  return date.toDateString() === now.toDateString() ? time : `${dayFormat.format(date)} ${time}`;
}

/** "+120 ms", "+3.4 s", "+2 min" after `from`. */
export function after(fromIso: string, iso: string): string {
  const ms = new Date(iso).getTime() - new Date(fromIso).getTime();
  if (ms < 1000) return `+${ms} ms`;
  if (ms < 60_000) return `+${(ms / 1000).toFixed(1)} s`;
  return `+${Math.round(ms / 60_000)} min`;
}

/** Seconds as "45 s", "12 min", "3.5 h". */
export function seconds(s: number | null): string {
  if (s === null) return '–';
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/** The first block of a uuid, enough to tell rows apart. */
export const short = (id: string | null | undefined): string => (id ? id.slice(0, 8) : '–');

/** Tones of the saga statuses, for badges. */
export const SAGA_TONE: Record<string, string> = {
  RUNNING: 'progress',
  COMPLETED: 'success',
  COMPENSATING: 'info',
  COMPENSATED: 'neutral',
  FAILED: 'danger',
};
