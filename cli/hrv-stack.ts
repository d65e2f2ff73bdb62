#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';

import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { InvalidOptionsError, type CommandOutput, redactUrlsInText } from './deliver.js';
import { ConfigError, loadReceiverConfig, type ReceiverConfig } from '../receiver/config.js';
import { runReceiverCommand } from './receiver-command.js';
import { runDashboardLiteCommand } from './dashboard-lite-command.js';
import { RecomputeError, runRecompute } from './recompute.js';
import { DeletePersonError, runDeletePerson, terminalPrompt } from './delete-person.js';
import { RequeueFailedError, resolveSpoolDir, runRequeueFailed } from './requeue-failed.js';
import { runSend } from './send.js';
import { runSimulate } from './simulate.js';

/** Exit code of a usage error: an unknown command or option, a missing or invalid option value. */
const USAGE_ERROR_EXIT_CODE = 2;

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

/**
 * Reads the version from this package's package.json, which is two folders up from
 * dist/cli/hrv-stack.js and one folder up from the source file run with tsx.
 */
function readPackageVersion(): string {
  for (const relativePath of ['../../package.json', '../package.json']) {
    try {
      const manifest = JSON.parse(readFileSync(new URL(relativePath, import.meta.url), 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === 'hrv-stack' && typeof manifest.version === 'string') return manifest.version;
    } catch {
      // Missing or unreadable at this location, so the next candidate is tried.
    }
  }

  return 'unknown';
}

/** Reads the receiver's configuration for a command, or prints every problem and returns undefined. */
function loadConfigForCommand(command: string): ReceiverConfig | undefined {
  try {
    return loadReceiverConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    consoleOutput.error(`hrv-stack ${command}: ${error.message}\nSee the configuration table in the README.`);
    return undefined;
  }
}

/** Runs a command's work, which returns the exit code, and turns an options error into exit code 2. */
async function runCommand(work: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await work();
  } catch (error) {
    if (!(error instanceof InvalidOptionsError)) throw error;
    consoleOutput.error(error.message);
    process.exitCode = USAGE_ERROR_EXIT_CODE;
  }
}

/**
 * exitOverride() makes commander throw its usage errors instead of exiting 1, so that main() can
 * exit 2 as the README promises. Subcommands inherit it, and the output settings, from `program`
 * because both are set before the subcommands are added.
 */
const program = new Command()
  .name('hrv-stack')
  .description('Self-hosted HRV tracking: Terra webhooks into InfluxDB, per person')
  .version(readPackageVersion())
  .exitOverride()
  .configureOutput({ writeErr: (text) => process.stderr.write(redactUrlsInText(text)) })
  .showHelpAfterError();

program
  .command('receiver')
  .description('run the webhook receiver; configuration comes from environment variables (see the README)')
  .action(runReceiverCommand);

program
  .command('dashboard-lite')
  .description('serve the dashboard-lite page and its JSON API (port 8081 by default); InfluxDB settings come from the same variables as the receiver')
  .action(runDashboardLiteCommand);

addDeliveryOptions(program.command('simulate'))
  .description('send realistic signed Terra sleep webhooks for several people, to check a deployment')
  .option('--people <count>', 'number of people, 1 to 100', wholeNumber, 3)
  .option('--nights <count>', 'nights per person, 1 to 3650', wholeNumber, 30)
  .option('--seed <number>', 'random seed; the same seed sends the same data', wholeNumber, 1)
  .option('--end-date <YYYY-MM-DD>', 'wake-up date of the last night (default: yesterday, UTC)')
  .option('--concurrency <count>', 'deliveries in flight at once, 1 to 32', wholeNumber, 4)
  .action(async (options: { url: string; secret?: string; people: number; nights: number; seed: number; endDate?: string; concurrency: number }) => {
    await runCommand(async () => {
      const summary = await runSimulate({ ...options, secret: options.secret ?? '' }, consoleOutput);
      return summary.rejected > 0 ? 1 : 0;
    });
  });

addDeliveryOptions(program.command('send'))
  .description('sign and send saved Terra payload files, each exactly as stored on disk')
  .argument('<files...>', 'JSON files, one webhook body each')
  .action(async (files: string[], options: { url: string; secret?: string }) => {
    await runCommand(async () => {
      const summary = await runSend({ url: options.url, secret: options.secret ?? '', files }, consoleOutput);
      return summary.failed > 0 ? 1 : 0;
    });
  });

program
  .command('requeue-failed')
  .description('move the deliveries that InfluxDB rejected for good back to the pending queue, once the cause is fixed')
  .option('--spool-dir <dir>', "the receiver's spool folder (default: SPOOL_DIR, else ./spool)")
  .addHelpText('after', '\nWith Docker Compose, run it inside the receiver container:\n  docker compose exec receiver node dist/cli/hrv-stack.js requeue-failed')
  .action(async (options: { spoolDir?: string }) => {
    await runCommand(async () => {
      try {
        await runRequeueFailed({ spoolDir: resolveSpoolDir(options.spoolDir) }, consoleOutput);
        return 0;
      } catch (error) {
        if (!(error instanceof RequeueFailedError)) throw error;
        consoleOutput.error(error.message);
        return 1;
      }
    });
  });

program
  .command('recompute')
  .description('rebuild every hrv_night row from the sessions and daily averages in InfluxDB, for example after changing HRV_NORMAL_RANGE_SD; InfluxDB settings come from the same variables as the receiver')
  .option('--person <name>', 'only this person (the person tag, as stored)')
  .option('--provider <name>', 'only this provider, such as GARMIN')
  .action(async (options: { person?: string; provider?: string }) => {
    await runCommand(async () => {
      const config = loadConfigForCommand('recompute');
      if (config === undefined) return USAGE_ERROR_EXIT_CODE;
      const progress = { isTTY: process.stderr.isTTY === true, columns: process.stderr.columns, write: (text: string) => process.stderr.write(text) };
      try {
        await runRecompute(options, config, consoleOutput, progress);
        return 0;
      } catch (error) {
        if (!(error instanceof RecomputeError)) throw error;
        consoleOutput.error(error.message);
        return 1;
      }
    });
  });

program
  .command('delete-person')
  .description('delete every stored point of one person (samples, events, sessions, nights, arrivals), for someone who leaves; InfluxDB settings come from the same variables as the receiver')
  .argument('<person>', 'the person tag, as stored (a Terra reference_id, user_id, or a PERSON_LABELS name)')
  .option('--yes', 'delete without asking to type the name')
  .action(async (person: string, options: { yes?: boolean }) => {
    await runCommand(async () => {
      const config = loadConfigForCommand('delete-person');
      if (config === undefined) return USAGE_ERROR_EXIT_CODE;
      try {
        return await runDeletePerson({ person, yes: options.yes === true }, config, consoleOutput, terminalPrompt);
      } catch (error) {
        if (!(error instanceof DeletePersonError)) throw error;
        consoleOutput.error(error.message);
        return 1;
      }
    });
  });

/**
 * Parses the command line and runs the command. Commander has already printed its message when
 * it throws, so only the exit code is left to set. An unexpected error is printed with its stack,
 * any URL in it masked, and exits 1.
 */
async function main(): Promise<void> {
  try {
    await program.parseAsync();
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : USAGE_ERROR_EXIT_CODE;
      return;
    }
    process.stderr.write(`hrv-stack: unexpected error: ${redactUrlsInText(inspect(error))}\n`);
    process.exitCode = 1;
  }
}

await main();
