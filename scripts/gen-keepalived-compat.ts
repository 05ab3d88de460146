// Writes docs/keepalived-compat.md from the keepalived keyword tables (src/config/keepalived/schema.ts).
import { writeFileSync } from 'node:fs';
import { renderCompatDoc } from '../src/config/keepalived/compat-doc.js';

writeFileSync(new URL('../../docs/keepalived-compat.md', import.meta.url), renderCompatDoc());
console.log('docs/keepalived-compat.md written');
