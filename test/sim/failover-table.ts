/**
 * Prints the failover table of docs/vrrp.md: for each tutorial setup, the time the RFC formulas
 * give and the time the simulator measured. `npx tsc -p . && node dist/test/sim/failover-table.js`
 */
import { allMeasurements, LINK_DELAY_MS } from './tutorials.js';

const ms = (v: number): string => `${v.toFixed(5).replace(/0+$/, '').replace(/\.$/, '')} ms`;

const rows = await allMeasurements();
process.stdout.write(`Simulated link delay ${LINK_DELAY_MS} ms, no clock drift, no loss.\n\n`);
process.stdout.write('| setup | event | RFC formula | RFC | measured |\n|---|---|---|---|---|\n');
for (const r of rows) process.stdout.write(`| ${r.scenario} | ${r.event} | ${r.formula} | ${ms(r.rfcMs)} | ${ms(r.measuredMs)} |\n`);
