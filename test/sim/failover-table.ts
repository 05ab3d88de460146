/**
 * Prints the failover table of docs/vrrp.md: for each tutorial setup, the time the RFC formulas
 * give and the time the simulator measured. `npx tsc -p . && node dist/test/sim/failover-table.js`
 */
import { fileURLToPath } from 'node:url';
import { allMeasurements, LINK_DELAY_MS } from './tutorials.js';

const ms = (v: number): string => `${v.toFixed(5).replace(/0+$/, '').replace(/\.$/, '')} ms`;

/** The table as docs/vrrp.md holds it. */
export async function failoverTable(): Promise<string> {
  const rows = await allMeasurements();
  const lines = [`Simulated link delay ${LINK_DELAY_MS} ms, no clock drift, no loss.`, '', '| setup | event | RFC formula | RFC | measured |', '|---|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${r.scenario} | ${r.event} | ${r.formula} | ${ms(r.rfcMs)} | ${ms(r.measuredMs)} |`);
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.stdout.write(`${await failoverTable()}\n`);
