/**
 * `track_file` reading policy. keepalived reads the file whenever it changes and takes the number
 * at its start (strtol-like: leading blanks, an optional sign, digits; anything else reads as 0).
 * halo does the same and names the odd cases in the cause so an operator sees why.
 */
import type { TrackerSignal } from './types.js';

export type FileReading =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'missing' }
  | { readonly kind: 'unreadable'; readonly error: string };

/** The longest number halo takes from a track file; keeps a huge file from becoming a huge parse. */
export const TRACK_FILE_MAX_CHARS = 64;

export function parseTrackFileValue(text: string): { value: number; note: string | null } {
  const head = text.slice(0, TRACK_FILE_MAX_CHARS);
  const m = /^\s*([+-]?\d+)/.exec(head);
  if (!m || m[1] === undefined) return { value: 0, note: 'no number in the file, read as 0' };
  const value = Number.parseInt(m[1], 10);
  if (!Number.isSafeInteger(value)) return { value: value < 0 ? -2147483648 : 2147483647, note: 'number out of range, clamped' };
  // keepalived keeps the value to a 32-bit int.
  if (value > 2147483647) return { value: 2147483647, note: 'number out of range, clamped' };
  if (value < -2147483648) return { value: -2147483648, note: 'number out of range, clamped' };
  return { value, note: null };
}

export function fileSignal(name: string, path: string, reading: FileReading): TrackerSignal {
  switch (reading.kind) {
    case 'missing':
      // A missing file reads as 0, like an empty one: `init_file` exists to create it at start.
      return { kind: 'file', value: 0, cause: `Track file ${name} (${path}) is missing, read as 0` };
    case 'unreadable':
      return { kind: 'file', value: 0, cause: `Track file ${name} (${path}) cannot be read (${reading.error}), read as 0` };
    case 'text': {
      const { value, note } = parseTrackFileValue(reading.text);
      return { kind: 'file', value, cause: `Track file ${name} (${path}) reads ${value}${note ? ` (${note})` : ''}` };
    }
  }
}
