/** Text formatters of the command-line tool's output: numbers, durations, tables, stored bytes. */

/** `1234567` → `1,234,567`. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** `1 entry`, `3 entries`. */
export function formatEntries(n: number): string {
  return `${formatCount(n)} ${n === 1 ? 'entry' : 'entries'}`;
}

/** Bytes with a binary unit: `512 B`, `1.5 KiB`, `12.0 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const unit = Math.min(Math.floor(Math.log2(bytes) / 10), 4);
  return `${(bytes / 1024 ** unit).toFixed(1)} ${['', 'KiB', 'MiB', 'GiB', 'TiB'][unit]}`;
}

/** A duration in ms, as its two largest units: `350ms`, `12s`, `5m 3s`, `2h 10m`, `3d 4h`. */
export function formatDuration(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(Math.round(ms));
  if (rest < 1000) return `${sign}${rest}ms`;
  rest = Math.floor(rest / 1000);
  const parts: [number, string][] = [
    [Math.floor(rest / 86_400), 'd'],
    [Math.floor((rest % 86_400) / 3600), 'h'],
    [Math.floor((rest % 3600) / 60), 'm'],
    [rest % 60, 's'],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  const shown = parts.slice(first, first + 2).filter(([n]) => n > 0);
  return sign + shown.map(([n, unit]) => `${n}${unit}`).join(' ');
}

/** A ratio as a percentage with one decimal, or `n/a`. */
export function formatPercent(ratio: number | null): string {
  return ratio === null ? 'n/a' : `${(ratio * 100).toFixed(1)}%`;
}

/** `--json` output: indented, one trailing newline. */
export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Aligned `label  value` lines, indented. */
export function table(rows: readonly (readonly [string, string])[], indent = '  '): string {
  const width = Math.max(0, ...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${indent}${label.padEnd(width)}  ${value}`).join('\n');
}

/** A Redis URL with its password masked (`redis://u:****@h:6379/2`). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '****';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/**
 * Text for a terminal: control characters are shown as `\xNN` (newlines and tabs are kept when
 * `multiline`), so stored bytes can never move the cursor, change colours or split a line.
 */
export function printable(text: string, multiline = false): string {
  const control = multiline ? /[^\P{Cc}\n\t]/gu : /\p{Cc}/gu;
  return text.replace(control, c => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Stored bytes, shown as text when they are text, else as base64. */
export interface BytesView {
  encoding: 'utf8' | 'base64';
  text: string;
  /** Bytes not shown (0 when everything is). */
  omittedBytes: number;
}

const TEXT_TYPE =
  /^(text\/|application\/([\w.+-]*\+)?(json|xml|javascript|x-www-form-urlencoded))/i;

/**
 * Whether bytes are text: by content type when there is one, else by content (valid UTF-8
 * without NUL bytes).
 */
export function isText(bytes: Buffer, contentType?: string): boolean {
  if (contentType !== undefined && TEXT_TYPE.test(contentType.trim())) return true;
  if (bytes.includes(0)) return false;
  return Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
}

/** A view of `bytes`, cut to about `limit` bytes (`Infinity`: all). */
export function viewBytes(bytes: Buffer, limit: number, contentType?: string): BytesView {
  if (!isText(bytes, contentType)) {
    const shown = bytes.subarray(0, limit);
    return {
      encoding: 'base64',
      text: shown.toString('base64'),
      omittedBytes: bytes.length - shown.length,
    };
  }
  let end = Math.min(limit, bytes.length);
  // Step back over continuation bytes (10xxxxxx) so as not to split a UTF-8 sequence.
  while (end > 0 && end < bytes.length && (bytes[end] & 0xc0) === 0x80) end--;
  return {
    encoding: 'utf8',
    text: bytes.toString('utf8', 0, end),
    omittedBytes: bytes.length - end,
  };
}
