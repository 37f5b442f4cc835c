import type { Command } from 'commander';
import type { CliContext } from '../context.js';

/** Registers `wxtoken simulate` (implemented with the simulator). */
export function registerSimulate(program: Command, ctx: CliContext): void {
  void ctx;
  program.command('simulate').description('run the WeChat simulator (not yet implemented)');
}
