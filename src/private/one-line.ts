/** The first line of `s` without control characters, cut to `max` characters. */
export function oneLine(s: string, max = 300): string {
  // eslint-disable-next-line no-control-regex
  const line = s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/[\r\n\t]+/g, ' ').replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return line.length > max ? `${line.slice(0, max - 1)}\u2026` : line;
}
