/**
 * Decoding and validation of one orders-topic message (the Go producer's order event JSON). Only the
 * fields the event's op uses are read: a field another op would carry (quantity on an UPDATE, say) is
 * ignored, not validated, whatever its type, since it has no effect on the row.
 */
import type { DecodeResult, Op, OrderEvent } from '../types.js';
import { decodeEnvelope, numericValidator, validateInteger, validateString, validateTimestamp, validateUuid } from '../validate.js';

/** orders.status is VARCHAR(10), counted in characters (code points); an empty status is refused. */
export const ORDER_STATUS_MAX_CHARS = 10;
/** orders.quantity is INTEGER; the data model's 1..100 is the generator's habit, not a rule. */
export const ORDER_QUANTITY_MIN = 1;
export const ORDER_QUANTITY_MAX = 2_147_483_647;

/** orders.total_amount is DECIMAL(10,2). */
const validateOrderTotal = numericValidator('order_total', 10, 2);

/**
 * Every op requires order_status; CREATE also user_id, quantity, order_total, placed_at; UPDATE and
 * DELETE modified_at. Checked in the Go struct's field order; the first problem is reported.
 */
export function decodeOrder(value: Uint8Array | null): DecodeResult<OrderEvent> {
  return decodeEnvelope(value, 'order_id', buildOrder);
}

function buildOrder(o: Record<string, unknown>, op: Op, id: string, json: string): DecodeResult<OrderEvent> {
  const status = validateString('order_status', o.order_status, ORDER_STATUS_MAX_CHARS, 1);
  if (typeof status !== 'string') return status;
  if (op === 'CREATE') {
    const userId = validateUuid('user_id', o.user_id);
    if (typeof userId !== 'string') return userId;
    const quantity = validateInteger('quantity', o.quantity, ORDER_QUANTITY_MIN, ORDER_QUANTITY_MAX);
    if (typeof quantity !== 'number') return quantity;
    const totalAmount = validateOrderTotal(o.order_total, json);
    if (typeof totalAmount !== 'string') return totalAmount;
    const placedAt = validateTimestamp('placed_at', o.placed_at);
    if (typeof placedAt !== 'string') return placedAt;
    return { ok: true, event: { op, id, status, userId, quantity, totalAmount, placedAt } };
  }
  const modifiedAt = validateTimestamp('modified_at', o.modified_at);
  if (typeof modifiedAt !== 'string') return modifiedAt;
  return { ok: true, event: { op, id, status, modifiedAt } };
}
