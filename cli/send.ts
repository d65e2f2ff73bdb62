import { readFile } from 'node:fs/promises';

import {
  checkWebhookUrl,
  type CommandOutput,
  DeliveryError,
  type DeliveryOptions,
  deliverSignedBody,
  InvalidOptionsError,
  quoteResponseBody,
  redactUrl,
} from './deliver.js';
import { parseJsonBody } from '../terra/json-body.js';

export interface SendOptions {
  /** Receiver's webhook URL, http or https. */
  url: string;
  /** Signing secret shared with the receiver; never printed. */
  secret: string;
  /** JSON files to post, each as one webhook body, in this order. */
  files: string[];
  /** Timeout and retry settings of each delivery. */
  delivery?: Pick<DeliveryOptions, 'timeoutMs' | 'retries' | 'retryDelayMs'>;
}

/** Outcome for one file: the receiver's status, or why the file was not sent or got no response. */
export interface SendFileResult {
  file: string;
  status?: number;
  error?: string;
}

export interface SendSummary {
  /** Files the receiver accepted with a 2xx status. */
  accepted: number;
  /** Files not read, not valid JSON, rejected by the receiver or without any response. */
  failed: number;
  results: SendFileResult[];
}

/** Lists every invalid option; the secret's value is never shown. */
export function checkSendOptions(options: SendOptions): string[] {
  const problems: string[] = [];
  const urlProblem = checkWebhookUrl(options.url);

  if (urlProblem !== undefined) problems.push(urlProblem);
  if (options.secret === '') problems.push('secret must not be empty: pass --secret or set TERRA_SIGNING_SECRET to the signing secret the receiver uses');
  if (options.files.length === 0) problems.push('files: name at least one JSON file to send');

  return problems;
}

/**
 * Reads a file and checks that it parses as JSON. Returns the bytes as read, because the signature
 * covers the raw body and re-serialising would change it, or an error message naming the file.
 */
async function readJsonBytes(file: string): Promise<{ bytes: Buffer } | { error: string }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    return { error: `${file}: not sent, reading it failed: ${(error as Error).message}` };
  }

  try {
    parseJsonBody(bytes);
  } catch (error) {
    return { error: `${file}: not sent, it is not valid JSON: ${(error as Error).message}` };
  }

  return { bytes };
}

/** Posts one file and prints `file -> status`, on the error output when the status is not 2xx. */
async function sendFile(file: string, options: SendOptions, output: CommandOutput): Promise<SendFileResult> {
  const read = await readJsonBytes(file);
  if ('error' in read) {
    output.error(read.error);
    return { file, error: read.error };
  }

  try {
    const result = await deliverSignedBody(options.url, read.bytes, options.secret, options.delivery);
    const accepted = result.status >= 200 && result.status < 300;
    if (accepted) output.info(`${file} -> ${result.status}`);
    else output.error(`${file} -> ${result.status} ${quoteResponseBody(result.body)}`);
    return { file, status: result.status };
  } catch (error) {
    if (!(error instanceof DeliveryError)) throw error;
    output.error(`${file} -> no response: ${error.message}`);
    return { file, error: error.message };
  }
}

/**
 * Posts each file's bytes unchanged, signed, to the receiver, one file at a time. A file that
 * cannot be read or is not valid JSON is reported and skipped, and counts as failed. The caller
 * should exit non-zero when `failed` is above 0. Throws InvalidOptionsError before sending
 * anything when an option is invalid.
 */
export async function runSend(options: SendOptions, output: CommandOutput): Promise<SendSummary> {
  const problems = checkSendOptions(options);
  if (problems.length > 0) throw new InvalidOptionsError(problems);

  const results: SendFileResult[] = [];
  output.info(`Sending ${options.files.length} file(s) to ${redactUrl(options.url)}`);
  for (const file of options.files) results.push(await sendFile(file, options, output));

  const accepted = results.filter((result) => result.status !== undefined && result.status >= 200 && result.status < 300).length;
  output.info(`${accepted} of ${results.length} file(s) accepted`);
  return { accepted, failed: results.length - accepted, results };
}
