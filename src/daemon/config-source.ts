/**
 * The file-system ConfigSource: reads configuration files for the pure parser and expands
 * `include` globs by listing directories (glob walk in src/config/glob.ts; no dependency needed).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { globFiles, type DirEntry } from '../config/glob.js';
import type { ConfigSource } from '../config/tree.js';

function listDir(dir: string): DirEntry[] | null {
  try {
    return readdirSync(dir, { withFileTypes: true }).map((e) => {
      let isDir = e.isDirectory();
      if (e.isSymbolicLink()) {
        try {
          isDir = statSync(`${dir}/${e.name}`).isDirectory();
        } catch {
          isDir = false; // a dangling link: reading it reports the error
        }
      }
      return { name: e.name, dir: isDir };
    });
  } catch {
    return null;
  }
}

export function fileConfigSource(): ConfigSource {
  return {
    readFile(path) {
      try {
        return { ok: true, text: readFileSync(path, 'utf8') };
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        return { ok: false, error: e.code !== undefined ? `${e.code} (${e.message.replace(/^[A-Z]+: /, '').replace(/, open .*$/, '')})` : String(err), missing: e.code === 'ENOENT' };
      }
    },
    glob: (pattern) => globFiles(pattern, listDir),
  };
}
