import { expect } from 'chai';
import { resolveOptions } from '../../lib/config/index.js';
import {
  checkSelection,
  describeSelection,
  isEverything,
  type Selection,
  selectionOptions,
  selectionWhere,
} from '../../lib/dead-letters/index.js';
import { optionError } from '../support/errors.js';

describe('dead-letters/selection', () => {
  describe('the selection options', () => {
    it('read every filter from its flag; none from the environment', () => {
      const args = {
        id: '3,4',
        group: 'g1',
        topic: 'users,orders',
        partition: '0,2',
        code: 'INVALID_JSON',
        since: '2024-05-01',
        until: '2024-05-02T00:00:00Z',
      };
      expect(resolveOptions(selectionOptions, args, { CDC_GROUP: 'ignored' })).to.deep.equal({
        ids: [3, 4],
        group: 'g1',
        topicNames: ['users', 'orders'],
        partitions: [0, 2],
        codes: ['INVALID_JSON'],
        since: '2024-05-01T00:00:00Z',
        until: '2024-05-02T00:00:00Z',
      });
      const none = resolveOptions(selectionOptions, {}, { CDC_GROUP: 'g', CDC_TOPICS: 'users' });
      expect(isEverything(none)).to.equal(true);
    });

    it('refuse a bad value naming the flag', () => {
      for (const [flag, bad] of [
        ['id', '0'],
        ['id', 'abc'],
        ['partition', '-1'],
        ['topic', 'a,,b'],
        ['since', 'last week'],
        ['group', ' '],
      ] as const) {
        const err = optionError(() => resolveOptions(selectionOptions, { [flag]: bad }));
        expect(err.option, `${flag} ${bad}`).to.equal(`--${flag}`);
        expect(err.message).to.contain(`--${flag}`);
      }
    });
  });

  describe('checkSelection', () => {
    it('refuses a time range that ends before it begins, naming both options', () => {
      const err = optionError(() => checkSelection({ since: '2024-05-02T00:00:00Z', until: '2024-05-01T23:00:00+02:00' }));
      expect(err.option).to.equal('--until');
      expect(err.message).to.contain('--since').and.contain('2024-05-01T23:00:00+02:00');
      expect(() => checkSelection({ since: '2024-05-01T00:00:00Z', until: '2024-05-01T00:00:00.001Z' })).to.not.throw();
      // To the microsecond, as Postgres stores failed_at.
      expect(() => checkSelection({ since: '2024-05-01T00:00:00.123456Z', until: '2024-05-01T00:00:00.123457Z' })).to.not.throw();
      expect(() => checkSelection({ since: '2024-05-01T00:00:00.123457Z', until: '2024-05-01T00:00:00.123457Z' })).to.throw(/not after/);
    });
  });

  describe('selectionWhere', () => {
    it('is TRUE for no filter', () => {
      const params: unknown[] = [];
      expect(selectionWhere({}, params)).to.equal('TRUE');
      expect(params).to.deep.equal([]);
    });

    it('ANDs one condition per filter, every value a typed bind parameter after those already there', () => {
      const params: unknown[] = ['before'];
      const selection: Selection = {
        ids: [1, 2],
        group: "g'; DROP TABLE x; --",
        topicNames: ['orders'],
        partitions: [0],
        codes: ['INVALID_JSON'],
        since: '2024-05-01T00:00:00Z',
        until: '2024-05-02T00:00:00Z',
      };
      expect(selectionWhere(selection, params)).to.equal(
        'id = ANY($2::bigint[]) AND group_id = $3::text AND topic = ANY($4::text[]) AND partition = ANY($5::int[]) AND error_code = ANY($6::text[]) AND failed_at >= $7::timestamptz AND failed_at < $8::timestamptz',
      );
      expect(params).to.deep.equal([
        'before',
        [1, 2],
        "g'; DROP TABLE x; --",
        ['orders'],
        [0],
        ['INVALID_JSON'],
        '2024-05-01T00:00:00Z',
        '2024-05-02T00:00:00Z',
      ]);
    });
  });

  describe('describeSelection', () => {
    it('writes the selection as the flags that make it', () => {
      expect(describeSelection({})).to.equal('every dead letter');
      expect(describeSelection({ topicNames: ['a', 'b'], codes: ['X'], partitions: [0, 1] })).to.equal(
        '--topic a,b --partition 0,1 --code X',
      );
    });
  });
});
