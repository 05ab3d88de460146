import type { Command } from '../command.js';
import { checkConfigCommand } from './check-config.js';
import { demoCommand } from './demo.js';
import { dumpConfigCommand } from './dump-config.js';
import { genhashCommand } from './genhash.js';
import { runCommand } from './run.js';

/** Every sub-command, in the order `halo --help` lists them. */
export const COMMANDS: readonly Command[] = [runCommand, checkConfigCommand, dumpConfigCommand, genhashCommand, demoCommand];
