// Times as ctime(3) prints them (local time, C locale names), and as ISO-8601 for JSON.
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const two = (n: number): string => String(n).padStart(2, '0');

/** ctime(3) without its newline: "Tue Nov 24 11:51:31 2026" (24 characters), in local time (TZ). */
export function ctime(seconds: number): string {
  const d = new Date(seconds * 1000);
  if (Number.isNaN(d.getTime())) return '';
  const day = String(d.getDate()).padStart(2, ' ');
  return (
    `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${day} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${d.getFullYear()}`
  );
}

/** ISO-8601 in UTC without milliseconds ("2026-11-24T11:51:31Z"); null for 0 (never). */
const lastIso = { seconds: Number.NaN, text: '' };

export function isoTime(seconds: number): string | null {
  if (!seconds) return null;
  // A listing's objects were mostly made in the same few seconds: the last answer is kept.
  if (seconds === lastIso.seconds) return lastIso.text;
  const d = new Date(seconds * 1000);
  if (Number.isNaN(d.getTime())) return null;
  const text = d.toISOString().replace(/\.000Z$/, 'Z');
  lastIso.seconds = seconds;
  lastIso.text = text;
  return text;
}
