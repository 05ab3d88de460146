import type { Command } from '../command.js';
import { genhashCommand } from './genhash.js';

/** Every sub-command, in the order `halo --help` lists them. */
export const COMMANDS: readonly Command[] = [genhashCommand];
