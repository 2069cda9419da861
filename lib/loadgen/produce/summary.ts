/**
 * How a run looks to a person: the live progress line and the final summary table.
 */
import { textTable } from '../../cli/text-table.js';
import type { ProduceSummary, ProgressSnapshot } from './run.js';

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** `sent 120,000  delivered 118,000  failed 0  rate 99,870/s  elapsed 1.2s` */
export function formatProgress(p: ProgressSnapshot): string {
  return `sent ${int.format(p.sent)}  delivered ${int.format(p.delivered)}  failed ${int.format(p.failed)}  rate ${int.format(p.currentRate)}/s  elapsed ${(p.elapsedMs / 1000).toFixed(1)}s`;
}

/** The summary as text: per topic counts by event type, deliveries, elapsed time and rates, and the format. */
export function formatSummary(s: ProduceSummary): string {
  const rows = [['topic', 'CREATE', 'UPDATE', 'DELETE', 'sent', 'delivered', 'failed']];
  for (const t of [s.topics.users, s.topics.orders]) {
    if (t.sent === 0 && t.delivered === 0 && t.failed === 0) continue;
    rows.push(
      [t.topic, t.CREATE, t.UPDATE, t.DELETE, t.sent, t.delivered, t.failed].map((v) => (typeof v === 'number' ? int.format(v) : v)),
    );
  }
  const u = s.topics.users;
  const o = s.topics.orders;
  rows.push(
    ['total', u.CREATE + o.CREATE, u.UPDATE + o.UPDATE, u.DELETE + o.DELETE, s.sent, s.delivered, s.failed].map((v) =>
      typeof v === 'number' ? int.format(v) : v,
    ),
  );
  const lines = [
    textTable(rows, (c) => c > 0),
    `elapsed ${(s.elapsedMs / 1000).toFixed(2)} s; sent ${int.format(s.sendRate)} events/s, delivered ${int.format(s.deliveredRate)} events/s; stopped by ${s.stoppedBy}; seed ${s.seed}`,
  ];
  if (s.format === 'debezium') {
    const skipped = s.topics.users.skipped + s.topics.orders.skipped;
    lines.push(
      `format debezium (${s.encoding === 'avro' ? 'AvroConverter, schemas in the registry' : `JsonConverter, ${s.schemas ? 'with schemas' : 'payload only'}`}); ${int.format(skipped)} UPDATE/DELETE events had no row to change, so nothing was sent for them`,
    );
  }
  if (s.unreported > 0) lines.push(`${int.format(s.unreported)} events had no delivery report when the run ended`);
  for (const e of s.deliveryErrors) lines.push(`delivery error (${int.format(e.count)}x): ${e.message}`);
  if (s.error) lines.push(`stopped by error: ${s.error}`);
  return lines.join('\n');
}
