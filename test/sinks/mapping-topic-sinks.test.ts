import { expect } from 'chai';
import { CdcError } from '../../lib/errors.js';
import { type Mapping, resolveMapping } from '../../lib/sinks/mapping.js';
import { inventorySink as inventory } from '../support/mappings.js';

function problemsOf(sinks: unknown[]): string[] {
  try {
    resolveMapping({ sinks }, 'm.yaml');
  } catch (err) {
    expect(err).to.be.instanceOf(CdcError);
    return (err as Error).message.split('\n  ').slice(1);
  }
  return expect.fail('expected the mapping to be refused');
}

function resolved(sinks: unknown[]): Mapping {
  return resolveMapping({ sinks }, 'm.yaml');
}

describe('sinks/mapping: sinks resolved per topic', () => {
  it('takes the database-scale declaration: a topic sink, no sink declared whole', () => {
    const m = resolved([inventory]);
    expect(m.sinks).to.deep.equal([]);
    expect(m.topicSinks).to.have.length(1);
    expect(m.topicSinks[0]).to.deep.include({
      name: 'inventory',
      at: 'sinks[0]',
      topic: undefined,
      topicPattern: 'dbserver1\\.inventory\\.(.+)',
      schemaTemplate: undefined,
      tableTemplate: '${1}',
      key: undefined,
      columns: undefined,
      createTable: true,
      evolve: 'add-columns',
      delete: 'hard',
    });
  });

  it('keeps a sink with topic, key and every column declared whole, as before', () => {
    const whole = { topic: 'audit', table: 'audit', format: 'debezium', key: ['id'], columns: { id: 'bigint' } };
    expect(resolved([whole]).sinks.map((s) => s.name)).to.deep.equal(['audit']);
    // Its key or columns left to the events, it is resolved per topic.
    const { key: _key, ...keyless } = whole;
    expect(resolved([keyless]).topicSinks.map((s) => s.name)).to.deep.equal(['audit']);
  });

  it('takes declared attributes over the derived columns with columns-from: schema', () => {
    const m = resolved([{ ...inventory, 'columns-from': 'schema', columns: { price: { type: 'numeric(12,2)' } } }]);
    const t = m.topicSinks[0];
    expect(t?.columns).to.equal(undefined);
    expect(t?.overrides.map((c) => [c.name, c.type.sql])).to.deep.equal([['price', 'numeric(12,2)']]);
  });

  it('refuses a pattern that is no regular expression, and placeholders it has no group for', () => {
    expect(problemsOf([{ ...inventory, 'topic-pattern': 'dbserver1\\.(.+' }])[0]).to.match(
      /^sinks\[0\]\.topic-pattern: not a regular expression: /,
    );
    expect(problemsOf([{ ...inventory, table: '${2}' }])).to.deep.equal(['sinks[0].table: ${2}: topic-pattern has 1 group']);
    expect(problemsOf([{ ...inventory, table: '${name}' }])).to.deep.equal([
      'sinks[0].table: ${name} is not a placeholder (accepted: ${1}..${9}, ${topic})',
    ]);
  });

  it('refuses a pattern whose every topic would load one table', () => {
    expect(problemsOf([{ ...inventory, table: 'everything' }])).to.deep.equal([
      'sinks[0].table: every topic the pattern matches would load "everything"; name it from the topic (${1}, ${topic})',
    ]);
  });

  it('refuses topic and topic-pattern together, and a sink with neither', () => {
    expect(problemsOf([{ ...inventory, topic: 'a' }])).to.deep.equal(['sinks[0]: give topic or topic-pattern, not both']);
    const { 'topic-pattern': _p, ...neither } = inventory;
    expect(problemsOf([neither])).to.deep.equal(['sinks[0]: missing required key "topic" (or "topic-pattern")']);
  });

  it('takes key and columns from the events only in format debezium', () => {
    expect(problemsOf([{ topic: 't', table: 't', format: 'seed' }])).to.deep.equal([
      'sinks[0]: missing required key "key" (only a debezium sink takes its key from the message key)',
      'sinks[0]: missing required key "columns" (only a debezium sink takes its columns from the events\' schemas)',
    ]);
  });

  it('evolves only columns that come from the schemas, and has no references', () => {
    expect(problemsOf([{ ...inventory, columns: { id: 'integer' }, key: ['id'] }])).to.deep.equal([
      "sinks[0].evolve: only with columns from the events' schemas (columns-from: schema)",
    ]);
    expect(
      problemsOf([
        { topic: 'p', table: 'p', format: 'debezium', key: ['id'], columns: { id: 'integer' } },
        { ...inventory, evolve: 'none', key: ['id'], columns: { id: 'integer', p: { type: 'integer', references: 'p' } } },
      ]),
    ).to.deep.equal(['sinks[1].columns.p.references: only for sinks declared whole (topic, key and every column)']);
  });

  it('refuses a topic that a pattern matches and another sink names, naming both', () => {
    const audit = { topic: 'dbserver1.inventory.audit', table: 'audit', format: 'debezium', key: ['id'], columns: { id: 'bigint' } };
    expect(problemsOf([audit, inventory])).to.deep.equal([
      'sinks[1].topic-pattern: matches topic "dbserver1.inventory.audit", which sinks[0] loads too',
    ]);
  });

  it('refuses an unknown evolve mode and columns-from', () => {
    expect(problemsOf([{ ...inventory, evolve: 'all' }])).to.deep.equal(['sinks[0].evolve: must be one of "none", "add-columns"']);
    expect(problemsOf([{ ...inventory, 'columns-from': 'key' }])).to.deep.equal(['sinks[0].columns-from: must be one of "schema"']);
  });
});
