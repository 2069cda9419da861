import { expect } from 'chai';
import { CdcError } from '../../lib/errors.js';
import { resolveMapping, selectSinks } from '../../lib/sinks/mapping.js';
import { identifierProblem, SinkRouter } from '../../lib/sinks/topic-sinks.js';
import { inventorySink as inventory } from '../support/mappings.js';

function router(sinks: unknown[], topics?: string[]): SinkRouter {
  const mapping = resolveMapping({ sinks }, 'test.yaml');
  return new SinkRouter(mapping, selectSinks(mapping, topics));
}

function routeError(r: SinkRouter, topic: string): string {
  try {
    r.route(topic);
  } catch (err) {
    expect(err).to.be.instanceOf(CdcError);
    return (err as Error).message;
  }
  return expect.fail(`expected ${topic} to be refused`);
}

describe('sinks/topic-sinks', () => {
  it("routes each topic the pattern matches whole to its own table from the template's groups", () => {
    const r = router([inventory]);
    expect(r.route('dbserver1.inventory.customers')).to.deep.equal({
      sink: 'inventory',
      kind: 'topic',
      schema: undefined,
      table: 'customers',
      tableName: 'customers',
    });
    expect(r.route('dbserver1.inventory.products_on_hand').table).to.equal('products_on_hand');
    // Matched in full: a prefix or a longer name with the pattern inside is not taken.
    expect(r.takes('dbserver1.inventory.customers')).to.equal(true);
    expect(r.takes('xdbserver1.inventory.customers')).to.equal(false);
    expect(r.takes('dbserver1.inventoryXcustomers')).to.equal(false);
  });

  it('fills ${topic}, several groups, and a schema template; names keep their case and dots', () => {
    const r = router([{ ...inventory, 'topic-pattern': '(\\w+)\\.(\\w+)\\.(.+)', table: '${2}.${3}' }]);
    expect(r.route('srv.Sales.GiftCards')).to.include({ schema: 'Sales', table: 'GiftCards', tableName: 'Sales.GiftCards' });
    const whole = router([{ ...inventory, table: '${topic}' }]);
    expect(whole.route('dbserver1.inventory.orders').table).to.equal('dbserver1.inventory.orders');
  });

  it('subscribes to literal topics as they are and to each pattern as an anchored regex', () => {
    const r = router([
      inventory,
      { topic: 'audit', table: 'audit', format: 'debezium', key: ['id'], columns: { id: 'bigint', note: 'text' } },
    ]);
    expect(r.subscription()).to.deep.equal(['audit', '^dbserver1\\.inventory\\.(.+)$']);
    expect(r.literalTopics()).to.deep.equal(['audit']);
    expect(r.route('audit')).to.deep.equal({ sink: 'audit', kind: 'whole', schema: undefined, table: 'audit', tableName: 'audit' });
  });

  it('refuses a topic two patterns match, naming both sinks', () => {
    const r = router([inventory, { ...inventory, name: 'everything', 'topic-pattern': 'dbserver1\\..+', table: '${topic}' }]);
    expect(routeError(r, 'dbserver1.inventory.customers')).to.equal(
      'test.yaml: topic "dbserver1.inventory.customers" is matched by sinks[0] and sinks[1]; one sink must take it',
    );
  });

  it('refuses a second topic resolving to a table another topic loads, naming both topics', () => {
    const r = router([{ ...inventory, 'topic-pattern': '(?:east|west)\\.inventory\\.(.+)', table: '${1}' }]);
    r.route('east.inventory.customers');
    expect(routeError(r, 'west.inventory.customers')).to.equal(
      'test.yaml: topics "east.inventory.customers" and "west.inventory.customers" both resolve to table customers; one table takes one topic',
    );
  });

  it('refuses a table name Postgres cannot take, naming the topic, never truncating it', () => {
    const r = router([inventory]);
    const long = `dbserver1.inventory.${'x'.repeat(64)}`;
    expect(routeError(r, long)).to.equal(
      `test.yaml: topic "${long}": sinks[0].table resolves to "${'x'.repeat(64)}", which is 64 bytes long; Postgres takes at most 63`,
    );
    const empty = router([{ ...inventory, 'topic-pattern': 'dbserver1\\.inventory\\.(.*)' }]);
    expect(routeError(empty, 'dbserver1.inventory.')).to.equal(
      'test.yaml: topic "dbserver1.inventory.": sinks[0].table resolves to "", which is empty',
    );
    // 63 bytes of two-byte characters is 126: counted in bytes, as Postgres does.
    expect(identifierProblem('é'.repeat(32))).to.equal('is 64 bytes long; Postgres takes at most 63');
    expect(identifierProblem('é'.repeat(31))).to.equal(undefined);
  });

  it('runs only the selected sinks, and refuses name=topic for a sink that names its topics itself', () => {
    const r = router([inventory, { ...inventory, name: 'billing', 'topic-pattern': 'dbserver1\\.billing\\.(.+)' }], ['billing']);
    expect(r.takes('dbserver1.inventory.customers')).to.equal(false);
    expect(r.takes('dbserver1.billing.invoices')).to.equal(true);
    expect(() => router([inventory], ['inventory=other'])).to.throw(/sink "inventory" names its topics itself/);
  });
});
