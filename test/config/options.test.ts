import { expect } from 'chai';
import { connectionOptions, databaseUrlFromEnv, option, parse, resolveOptions } from '../../lib/config/index.js';
import { optionError } from '../support/errors.js';

describe('config/options', () => {
  describe('durations', () => {
    const spec = { idle: option<number>({ flag: 'idle', env: 'CDC_IDLE', describe: '', default: 10_000, parse: parse.duration }) };

    it('accepts ms, s, m, h and 0', () => {
      expect(resolveOptions(spec, { idle: '500ms' }).idle).to.equal(500);
      expect(resolveOptions(spec, { idle: '10s' }).idle).to.equal(10_000);
      expect(resolveOptions(spec, { idle: '1.5s' }).idle).to.equal(1500);
      expect(resolveOptions(spec, { idle: '5m' }).idle).to.equal(300_000);
      expect(resolveOptions(spec, { idle: '1h' }).idle).to.equal(3_600_000);
      expect(resolveOptions(spec, { idle: '0' }).idle).to.equal(0);
    });

    it('rejects a bare number or unknown unit, naming the flag and the accepted form', () => {
      for (const bad of ['10', '10x', '-1s', 's', '']) {
        const err = optionError(() => resolveOptions(spec, { idle: bad }));
        expect(err.option).to.equal('--idle');
        expect(err.message)
          .to.match(/--idle/)
          .and.match(/500ms, 10s, 5m/);
      }
    });

    it('names the environment variable when the bad value came from there', () => {
      const err = optionError(() => resolveOptions(spec, {}, { CDC_IDLE: 'soon' }));
      expect(err.option).to.equal('CDC_IDLE');
      expect(err.message).to.contain('CDC_IDLE').and.contain('"soon"');
    });
  });

  describe('precedence', () => {
    it('takes the flag over the environment over the default', () => {
      const env = { KAFKA_BROKERS: 'envhost:9092' };
      expect(resolveOptions(connectionOptions, { brokers: 'flaghost:1' }, env).brokers).to.equal('flaghost:1');
      expect(resolveOptions(connectionOptions, {}, env).brokers).to.equal('envhost:9092');
      expect(resolveOptions(connectionOptions, {}, {}).brokers).to.equal('localhost:9092,localhost:9093,localhost:9094');
    });

    it('treats an empty environment variable as unset', () => {
      expect(resolveOptions(connectionOptions, {}, { KAFKA_BROKERS: '' }).brokers).to.equal('localhost:9092,localhost:9093,localhost:9094');
    });

    it('lets the last of a repeated flag win', () => {
      expect(resolveOptions(connectionOptions, { brokers: ['a:1', 'b:2'] }, {}).brokers).to.equal('b:2');
    });
  });

  describe('brokers', () => {
    it('accepts host:port lists and rejects anything else, naming the option', () => {
      expect(resolveOptions(connectionOptions, { brokers: ' a:1 , b.example:65535' }, {}).brokers).to.equal('a:1,b.example:65535');
      for (const bad of ['localhost', 'a:0', 'a:70000', 'a:1,,b:2', 'http://a:1']) {
        const err = optionError(() => resolveOptions(connectionOptions, { brokers: bad }, {}));
        expect(err.message).to.contain('--brokers').and.contain('host:port');
      }
    });
  });

  describe('database URL', () => {
    it('uses DATABASE_URL first', () => {
      const env = { DATABASE_URL: 'postgres://u:p@h:1/d', PGHOST: 'other' };
      expect(resolveOptions(connectionOptions, {}, env).databaseUrl).to.equal('postgres://u:p@h:1/d');
    });

    it('builds the URL from PG* variables, the rest from the docker-compose defaults', () => {
      expect(databaseUrlFromEnv({ PGHOST: 'db.internal', PGPORT: '6543', PGUSER: 'me', PGPASSWORD: 'p@ss' })).to.equal(
        'postgres://me:p%40ss@db.internal:6543/cdc',
      );
      expect(databaseUrlFromEnv({ PGHOST: '/var/run/postgresql' })).to.equal('postgres://cdc@:5432/cdc?host=%2Fvar%2Frun%2Fpostgresql');
    });

    it('falls back to the docker-compose database', () => {
      expect(resolveOptions(connectionOptions, {}, {}).databaseUrl).to.equal('postgres://cdc:cdc@localhost:5432/cdc');
    });

    it('rejects a non-postgres URL without echoing its password', () => {
      const err = optionError(() => resolveOptions(connectionOptions, { databaseUrl: 'mysql://u:secret@h/d' }, {}));
      expect(err.message).to.contain('--database-url').and.not.contain('secret');
      const err2 = optionError(() => resolveOptions(connectionOptions, {}, { DATABASE_URL: 'not a url secret' }));
      expect(err2.message).to.contain('DATABASE_URL').and.not.contain('secret');
    });
  });

  describe('byte sizes', () => {
    const spec = { max: option<number>({ flag: 'max-bytes-in-flight', describe: '', default: 1, parse: parse.bytes(65_536) }) };

    it('takes a byte count or binary units', () => {
      expect(resolveOptions(spec, { 'max-bytes-in-flight': '16777216' }).max).to.equal(16 * 1024 * 1024);
      expect(resolveOptions(spec, { 'max-bytes-in-flight': '8MiB' }).max).to.equal(8 * 1024 * 1024);
      expect(resolveOptions(spec, { 'max-bytes-in-flight': '512kib' }).max).to.equal(512 * 1024);
      expect(resolveOptions(spec, { 'max-bytes-in-flight': '1.5M' }).max).to.equal(1.5 * 1024 * 1024);
      expect(resolveOptions(spec, { 'max-bytes-in-flight': '1 GiB' }).max).to.equal(1024 ** 3);
    });

    it('refuses decimal units, fractions of a byte and sizes below the minimum, naming the flag and the form', () => {
      for (const bad of ['8MB', '8 megabytes', '65536.5', '1KiB', '-1MiB', 'MiB', '']) {
        const err = optionError(() => resolveOptions(spec, { 'max-bytes-in-flight': bad }));
        expect(err.option, bad).to.equal('--max-bytes-in-flight');
        expect(err.message, bad).to.contain('16MiB').and.contain('at least 65536');
      }
    });
  });

  describe('integers and choices', () => {
    it('names the option and the range', () => {
      const spec = { n: option<number>({ flag: 'workers', describe: '', default: 1, parse: parse.integer(1, 64) }) };
      expect(resolveOptions(spec, { workers: '8' }).n).to.equal(8);
      expect(optionError(() => resolveOptions(spec, { workers: '0' })).message)
        .to.contain('--workers')
        .and.contain('from 1 to 64');
      expect(optionError(() => resolveOptions(spec, { workers: '2.5' })).message).to.contain('--workers');
      const choice = {
        from: option<'beginning' | 'end'>({ flag: 'from', describe: '', default: 'beginning', parse: parse.oneOf(['beginning', 'end']) }),
      };
      expect(optionError(() => resolveOptions(choice, { from: 'middle' })).message).to.contain('one of beginning, end');
    });
  });
  describe('integer lists', () => {
    const list = parse.integerList(0, 10);

    it('reads a comma-separated list, an array or a single number', () => {
      expect(list('0,3, 7', '--partition')).to.deep.equal([0, 3, 7]);
      expect(list(['1', 2], '--partition')).to.deep.equal([1, 2]);
      expect(list(4, '--partition')).to.deep.equal([4]);
    });

    it('refuses an empty item, a non-integer or one out of range, naming the option and the whole value', () => {
      for (const bad of ['', '1,,2', '1,x', '11', '-1', '1.5']) {
        const err = optionError(() => list(bad, '--partition'));
        expect(err.option, bad).to.equal('--partition');
        expect(err.message, bad).to.contain(JSON.stringify(bad)).and.contain('comma-separated list of integers from 0 to 10');
      }
    });
  });

  describe('instants', () => {
    const now = Date.parse('2024-05-01T12:00:00Z');
    const instant = parse.instant(() => now);

    it('reads a date as midnight UTC and keeps a date-time with its zone as written (T for a space)', () => {
      expect(instant('2024-02-29', '--since')).to.equal('2024-02-29T00:00:00Z');
      expect(instant('2024-05-01T12:30:00Z', '--since')).to.equal('2024-05-01T12:30:00Z');
      expect(instant('2024-05-01 12:30:00.123456+02:00', '--since')).to.equal('2024-05-01T12:30:00.123456+02:00');
      expect(instant('2024-05-01T12:30-0530', '--since')).to.equal('2024-05-01T12:30-0530');
    });

    it('reads a duration as that long before now', () => {
      expect(instant('1h', '--since')).to.equal('2024-05-01T11:00:00.000Z');
      expect(instant('90s', '--since')).to.equal('2024-05-01T11:58:30.000Z');
      expect(instant('0', '--since')).to.equal('2024-05-01T12:00:00.000Z');
    });

    it('refuses a time without a zone, an impossible date or time, and other text, naming the option and the forms', () => {
      for (const bad of [
        '2024-05-01T12:00:00',
        '2023-02-29',
        '2024-13-01',
        '2024-05-01T24:00Z',
        '2024-05-01T12:00+16:00',
        'yesterday',
        '1d',
        '',
      ]) {
        const err = optionError(() => instant(bad, '--until'));
        expect(err.option, bad).to.equal('--until');
        expect(err.message, bad).to.contain(JSON.stringify(bad)).and.contain('2024-05-01T12:00:00Z').and.contain('a duration ago');
      }
    });
  });
});
