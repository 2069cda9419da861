/**
 * Decoding and validation of one users-topic message (the Go producer's user event JSON). Only the
 * fields the event's op uses are read: a field another op would carry (dob on an UPDATE, say) is
 * ignored, not validated, whatever its type, since it has no effect on the row.
 */
import type { DecodeResult, Op, UserEvent } from '../types.js';
import { decodeEnvelope, validateDate, validateString, validateTimestamp } from '../validate.js';

/** users.name is VARCHAR(50), counted in characters (code points). */
export const USER_NAME_MAX_CHARS = 50;

/**
 * CREATE requires name, dob, created_at; UPDATE name, modified_at; DELETE modified_at. Checked in the
 * Go struct's field order; the first problem is reported.
 */
export function decodeUser(value: Uint8Array | null): DecodeResult<UserEvent> {
  return decodeEnvelope(value, 'user_id', buildUser);
}

function buildUser(o: Record<string, unknown>, op: Op, id: string): DecodeResult<UserEvent> {
  switch (op) {
    case 'CREATE': {
      const name = validateString('name', o.name, USER_NAME_MAX_CHARS);
      if (typeof name !== 'string') return name;
      const dob = validateDate('dob', o.dob);
      if (typeof dob !== 'string') return dob;
      const createdAt = validateTimestamp('created_at', o.created_at);
      if (typeof createdAt !== 'string') return createdAt;
      return { ok: true, event: { op, id, name, dob, createdAt } };
    }
    case 'UPDATE': {
      const name = validateString('name', o.name, USER_NAME_MAX_CHARS);
      if (typeof name !== 'string') return name;
      const modifiedAt = validateTimestamp('modified_at', o.modified_at);
      if (typeof modifiedAt !== 'string') return modifiedAt;
      return { ok: true, event: { op, id, name, modifiedAt } };
    }
    case 'DELETE': {
      const modifiedAt = validateTimestamp('modified_at', o.modified_at);
      if (typeof modifiedAt !== 'string') return modifiedAt;
      return { ok: true, event: { op, id, modifiedAt } };
    }
  }
}
