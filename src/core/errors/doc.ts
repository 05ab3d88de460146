import { ERROR_CATALOG } from './index.js';

/** docs/errors.md as generated from the catalog, codes sorted, one section each. */
export function renderErrorsDoc(): string {
  const lines: string[] = [
    '# halo error codes',
    '',
    '<!-- Generated from src/core/errors by `npm run gen:errors`; a test keeps this file and the catalog equal. -->',
    '',
    'Every error and warning halo prints carries one of these codes. A code is never reused.',
    '',
  ];
  const codes = Object.keys(ERROR_CATALOG).sort();
  for (const code of codes) {
    const def = ERROR_CATALOG[code as keyof typeof ERROR_CATALOG];
    lines.push(`## ${code}`, '', def.summary + '.', '', def.help);
    if ('exitCode' in def && def.exitCode !== undefined) lines.push('', `\`halo check-config\` exit status: ${def.exitCode}.`);
    lines.push('');
  }
  return lines.join('\n');
}

/** Codes named by `## HALO_...` headings in a rendered or hand-edited errors document. */
export function codesInDoc(markdown: string): string[] {
  return [...markdown.matchAll(/^## (HALO_[A-Z0-9_]+)\s*$/gm)].map((m) => m[1] ?? '');
}
