import { expect } from 'chai';
import { formatRfc3339Nano, modelTimestampSql, parseRfc3339, toModelTimestamp } from '../../../lib/loadgen/generator/timestamps.js';

const T = Date.UTC(2025, 6, 1, 12, 34, 56, 123);

describe('generator/timestamps', () => {
  it('formats like Go: nanoseconds with trailing zeros dropped, no fraction when zero, Z or a numeric offset', () => {
    expect(formatRfc3339Nano(T, 456_789)).to.equal('2025-07-01T12:34:56.123456789Z');
    expect(formatRfc3339Nano(T, 450_000)).to.equal('2025-07-01T12:34:56.12345Z');
    expect(formatRfc3339Nano(T, 0)).to.equal('2025-07-01T12:34:56.123Z');
    expect(formatRfc3339Nano(T - 123, 0)).to.equal('2025-07-01T12:34:56Z');
    expect(formatRfc3339Nano(T - 123, 1)).to.equal('2025-07-01T12:34:56.000000001Z');
    expect(formatRfc3339Nano(T, 456_789, 330)).to.equal('2025-07-01T18:04:56.123456789+05:30');
    expect(formatRfc3339Nano(T, 456_789, -480)).to.equal('2025-07-01T04:34:56.123456789-08:00');
    // An offset that moves the wall time to the previous day.
    expect(formatRfc3339Nano(Date.UTC(2025, 0, 1, 2, 0, 0), 0, -180)).to.equal('2024-12-31T23:00:00-03:00');
  });

  it('parses what it formats back to the same instant', () => {
    for (const offset of [0, 330, -480, 59, -59]) {
      const t = parseRfc3339(formatRfc3339Nano(T, 456_789, offset));
      expect(t).to.deep.equal({ epochSeconds: Math.floor(T / 1000), nanos: 123_456_789, offsetMinutes: offset });
    }
  });

  it('rejects malformed and impossible timestamps', () => {
    for (const bad of [
      '2025-07-01 12:34:56Z',
      '2025-07-01T12:34:56',
      '2025-07-01T12:34:56.Z',
      '2025-07-01T12:34:56.1234567890Z',
      '2025-02-30T00:00:00Z',
      '2025-07-01T24:00:00Z',
      '2025-07-01T12:34:56+5:30',
      '2025-07-01T12:34:56+24:00',
    ]) {
      expect(parseRfc3339(bad), bad).to.equal(undefined);
    }
  });

  describe('model form', () => {
    it('is UTC with six fraction digits, rounded to the nearest microsecond', () => {
      expect(toModelTimestamp('2025-07-01T12:34:56.123456789+05:30')).to.equal('2025-07-01T07:04:56.123457Z');
      expect(toModelTimestamp('2025-07-01T12:34:56.123456499Z')).to.equal('2025-07-01T12:34:56.123456Z');
      expect(toModelTimestamp('2025-07-01T12:34:56.123456501Z')).to.equal('2025-07-01T12:34:56.123457Z');
      expect(toModelTimestamp('2025-07-01T12:34:56Z')).to.equal('2025-07-01T12:34:56.000000Z');
      expect(toModelTimestamp('2025-07-01T12:34:56.5-08:00')).to.equal('2025-07-01T20:34:56.500000Z');
    });

    it('carries rounding into the next second, minute and year', () => {
      expect(toModelTimestamp('2025-12-31T23:59:59.9999996Z')).to.equal('2026-01-01T00:00:00.000000Z');
    });

    it('rounds an exact half-microsecond tie to even, as Postgres 18 does', () => {
      expect(toModelTimestamp('2025-01-01T00:00:00.1234565Z')).to.equal('2025-01-01T00:00:00.123456Z');
      expect(toModelTimestamp('2025-01-01T00:00:00.1234575Z')).to.equal('2025-01-01T00:00:00.123458Z');
      expect(toModelTimestamp('2025-01-01T00:00:00.9999995Z')).to.equal('2025-01-01T00:00:01.000000Z');
    });

    it('throws on a value that is not a timestamp', () => {
      expect(() => toModelTimestamp('yesterday')).to.throw(/not an RFC 3339 timestamp/);
    });

    it('has SQL that renders a column in the same form', () => {
      expect(modelTimestampSql('t.created_at')).to.equal(`to_char((t.created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`);
    });
  });
});
