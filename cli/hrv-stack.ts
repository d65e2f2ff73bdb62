#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { InvalidOptionsError, type CommandOutput } from './deliver.js';
import { runReceiverCommand } from './receiver-command.js';
import { runSend } from './send.js';
import { runSimulate } from './simulate.js';

const consoleOutput: CommandOutput = {
  info: (message) => process.stdout.write(`${message}\n`),
  error: (message) => process.stderr.write(`${message}\n`),
};

function wholeNumber(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value)) throw new InvalidArgumentError(`expected a whole number, got "${text}"`);
  return value;
}

/**
 * Adds the signing options shared by `simulate` and `send`. The secret may come from
 * TERRA_SIGNING_SECRET, which keeps it out of the shell history and the process list. During a
 * rotation, the first secret of the list signs.
 */
function addDeliveryOptions(command: Command): Command {
  return command
    .requiredOption('--url <url>', 'webhook URL of the receiver, for example http://localhost:8080/webhooks/terra')
    .addOption(
      new Option('--secret <secret>', 'Terra signing secret the receiver checks')
        .env('TERRA_SIGNING_SECRET')
        .argParser((value) => value.split(',')[0]?.trim() ?? ''),
    );
}

/** Turns an options error into exit code 2 and a rejected delivery into exit code 1. */
async function runDeliveryCommand(work: () => Promise<number>): Promise<void> {
  try {
    const failures = await work();
    process.exitCode = failures > 0 ? 1 : 0;
  } catch (error) {
    if (!(error instanceof InvalidOptionsError)) throw error;
    consoleOutput.error(error.message);
    process.exitCode = 2;
  }
}

const program = new Command()
  .name('hrv-stack')
  .description('Self-hosted HRV tracking: Terra webhooks into InfluxDB, per person')
  .showHelpAfterError();

program
  .command('receiver')
  .description('run the webhook receiver; configuration comes from environment variables (see the README)')
  .action(runReceiverCommand);

addDeliveryOptions(program.command('simulate'))
  .description('send realistic signed Terra sleep webhooks for several people, to check a deployment')
  .option('--people <count>', 'number of people, 1 to 100', wholeNumber, 3)
  .option('--nights <count>', 'nights per person, 1 to 3650', wholeNumber, 30)
  .option('--seed <number>', 'random seed; the same seed sends the same data', wholeNumber, 1)
  .option('--end-date <YYYY-MM-DD>', 'wake-up date of the last night (default: yesterday, UTC)')
  .option('--concurrency <count>', 'deliveries in flight at once, 1 to 32', wholeNumber, 4)
  .action(async (options: { url: string; secret?: string; people: number; nights: number; seed: number; endDate?: string; concurrency: number }) => {
    await runDeliveryCommand(async () => {
      const summary = await runSimulate({ ...options, secret: options.secret ?? '' }, consoleOutput);
      return summary.rejected;
    });
  });

addDeliveryOptions(program.command('send'))
  .description('sign and send saved Terra payload files, each exactly as stored on disk')
  .argument('<files...>', 'JSON files, one webhook body each')
  .action(async (files: string[], options: { url: string; secret?: string }) => {
    await runDeliveryCommand(async () => {
      const summary = await runSend({ url: options.url, secret: options.secret ?? '', files }, consoleOutput);
      return summary.failed;
    });
  });

await program.parseAsync();
