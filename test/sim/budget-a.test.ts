import { test } from 'node:test';
import { runBudget } from './budget.js';

test('random seeds for the time budget (lane 0 of 2): zero invariant violations', async (t) => {
  await runBudget(0, 2, (line) => {
    t.diagnostic(line);
    process.stdout.write(`${line}\n`);
  });
});
