// Writes docs/errors.md from the error catalog (src/core/errors). Run: npm run gen:errors
import { writeFileSync } from 'node:fs';
import { renderErrorsDoc } from '../src/core/errors/doc.js';

writeFileSync(new URL('../../docs/errors.md', import.meta.url), renderErrorsDoc());
console.log('docs/errors.md written');
