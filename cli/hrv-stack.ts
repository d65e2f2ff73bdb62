#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { runReceiverCommand } from './receiver-command.js';

function positiveInteger(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new InvalidArgumentError('expected a whole number of 1 or more');
  return value;
}

const program = new Command()
  .name('hrv-stack')
  .description('Self-hosted HRV tracking: Terra webhooks into InfluxDB, per person')
  .showHelpAfterError();

program
  .command('receiver')
  .description('run the webhook receiver (configuration from environment variables; see the README)')
  .action(runReceiverCommand);

await program.parseAsync();
void positiveInteger;
