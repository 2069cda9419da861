import { expect } from 'chai';
import { validateEvent } from '../../../lib/loadgen/generator/validate.js';

const ID = '11111111-1111-4111-8111-111111111111';
const USER = '22222222-2222-4222-8222-222222222222';

describe('generator/validate', () => {
  it('accepts each event shape of the wire format', () => {
    const ok = [
      `{"event_type":"CREATE","user_id":"${ID}","name":"abc defg","dob":"1990-01-02","created_at":"2025-07-01T12:34:56.123456789+05:30"}`,
      `{"event_type":"UPDATE","user_id":"${ID}","name":"a\\u003cb","modified_at":"2025-07-01T12:34:56Z"}`,
      `{"event_type":"DELETE","user_id":"${ID}","modified_at":"2025-07-01T12:34:56.5Z"}`,
      `{"event_type":"CREATE","order_id":"${ID}","order_status":"PLACED","user_id":"${USER}","quantity":100,"order_total":1234.5678901234567,"placed_at":"2025-07-01T12:34:56Z"}`,
      `{"event_type":"UPDATE","order_id":"${ID}","order_status":"SHIPPED","modified_at":"2025-07-01T12:34:56Z"}`,
      `{"event_type":"DELETE","order_id":"${ID}","order_status":"CANCELLED","modified_at":"2025-07-01T12:34:56Z"}`,
    ];
    expect(ok.map((b) => validateEvent(b)).map((v) => `${v.entity} ${v.type} ${v.id}`)).to.deep.equal([
      `user CREATE ${ID}`,
      `user UPDATE ${ID}`,
      `user DELETE ${ID}`,
      `order CREATE ${ID}`,
      `order UPDATE ${ID}`,
      `order DELETE ${ID}`,
    ]);
  });

  it('rejects wrong field order, null or extra fields, and bad values, saying what is wrong', () => {
    const bad: [string, RegExp][] = [
      [`{"user_id":"${ID}","event_type":"DELETE","modified_at":"2025-07-01T12:34:56Z"}`, /expected \[event_type, user_id, modified_at\]/],
      [`{"event_type":"DELETE","user_id":"${ID}","name":null,"modified_at":"2025-07-01T12:34:56Z"}`, /has fields/],
      [`{"event_type":"DELETE","user_id":"${ID}"}`, /has fields/],
      [`{"event_type":"DELETE","user_id":"AAAAAAAA-1111-4111-8111-111111111111","modified_at":"2025-07-01T12:34:56Z"}`, /lower-case UUID/],
      [`{"event_type":"DELETE","user_id":"${ID}","modified_at":"2025-07-01 12:34:56"}`, /RFC 3339/],
      [`{"event_type":"CREATE","user_id":"${ID}","name":"x","dob":"1990-1-2","created_at":"2025-07-01T12:34:56Z"}`, /YYYY-MM-DD/],
      [
        `{"event_type":"CREATE","user_id":"${ID}","name":"${'x'.repeat(51)}","dob":"1990-01-02","created_at":"2025-07-01T12:34:56Z"}`,
        /1 to 50/,
      ],
      [`{"event_type":"UPDATE","order_id":"${ID}","order_status":"PLACED","modified_at":"2025-07-01T12:34:56Z"}`, /SHIPPED/],
      [
        `{"event_type":"CREATE","order_id":"${ID}","order_status":"PLACED","user_id":"${USER}","quantity":0,"order_total":1,"placed_at":"2025-07-01T12:34:56Z"}`,
        /1 to 100/,
      ],
      [
        `{"event_type":"CREATE","order_id":"${ID}","order_status":"PLACED","user_id":"${USER}","quantity":1,"order_total":1.50,"placed_at":"2025-07-01T12:34:56Z"}`,
        /shortest form/,
      ],
      [`{"event_type":"MERGE","user_id":"${ID}"}`, /not CREATE, UPDATE or DELETE/],
      ['[1]', /not a JSON object/],
      ['{', /not JSON/],
    ];
    for (const [body, message] of bad) expect(() => validateEvent(body), body).to.throw(message);
  });
});
