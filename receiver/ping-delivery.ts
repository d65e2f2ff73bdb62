import { prepareDelivery, UnprocessableDeliveryError, type PreparationOptions, type PreparedDelivery } from './prepare-delivery.js';
import type { ExpiringLink, PingDownloader } from './ping-download.js';
import type { Spool, SpooledDelivery } from './spool.js';

export interface PingDeliveryOptions extends PreparationOptions {
  spool: Spool;
  pingDownloader: PingDownloader;
}

/**
 * Downloads the event a ping-mode delivery links to and prepares it as if Terra had sent it
 * directly. Once the event is known to be usable, it is written to the spool in place of the
 * link: the link expires within minutes, and the event must survive an InfluxDB outage or a
 * restart. The downloaded body carries no Terra signature. The link's own signature, which the
 * storage service checks, takes its place.
 */
export async function prepareLinkedEvent(delivery: SpooledDelivery, link: ExpiringLink, options: PingDeliveryOptions): Promise<PreparedDelivery> {
  const body = await options.pingDownloader.download(link);

  const prepared = prepareDownloaded({ ...delivery, body }, options);
  if (prepared.pingLink !== undefined) throw new UnprocessableDeliveryError('the downloaded body is another s3_payload, which is not followed');
  await options.spool.replaceBody(delivery.id, delivery.metadata, body);

  return { ...prepared, outcome: { ...prepared.outcome, downloadedBytes: body.length } };
}

function prepareDownloaded(delivery: SpooledDelivery, options: PreparationOptions): PreparedDelivery {
  try {
    return prepareDelivery(delivery, options);
  } catch (error) {
    if (error instanceof UnprocessableDeliveryError) throw new UnprocessableDeliveryError(`the downloaded event cannot be used: ${error.message}`);
    throw error;
  }
}
