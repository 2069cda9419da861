import { expect } from 'chai';
import { ensureTopics, topicNotices } from '../../lib/kafka/index.js';
import { KafkaProducer } from '../../lib/loadgen/kafka/index.js';
import { deleteTestTopics } from '../support/kafka.js';
import { testStack, uniqueName } from '../support/stack.js';

describe('kafka/admin (integration)', () => {
  const created: string[] = [];
  let producer: KafkaProducer;

  before(async () => {
    producer = await KafkaProducer.connect({ brokers: testStack().brokers });
  });

  after(async function () {
    this.timeout(30_000);
    await producer.close();
    await deleteTestTopics(created);
  });

  it('reports, in one line, topics the cluster cannot create, within one request timeout', async function () {
    if (testStack().external) this.skip();
    const a = uniqueName('adm');
    const b = uniqueName('adm');
    created.push(a, b);
    const started = Date.now();
    const outcomes = await ensureTopics(
      [
        { name: a, partitions: 3, replicationFactor: 3 },
        { name: b, partitions: 5, replicationFactor: 3 },
      ],
      { brokers: testStack().brokers, metadata: producer, requestTimeoutMs: 500 },
    );
    expect(Date.now() - started).to.be.below(3000);
    expect(outcomes.map((o) => [o.topic, o.status])).to.deep.equal([
      [a, 'not-created'],
      [b, 'not-created'],
    ]);
    const lines = topicNotices(outcomes);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(new RegExp(`^could not create topics ${a}, ${b}: CreateTopics got no answer within 500 ms .*carrying on`));
  });

  it('leaves an existing topic as it is and says how it differs from the request', async function () {
    if (testStack().external) this.skip();
    const topic = uniqueName('adm');
    created.push(topic);
    // The mock cluster creates topics on first write: 4 partitions, 3 replicas.
    await producer.sendAndWait(topic, 'k', Buffer.from('v'));
    const same = await ensureTopics([{ name: topic, partitions: 4, replicationFactor: 3 }], {
      brokers: testStack().brokers,
      metadata: producer,
    });
    expect(same).to.deep.equal([{ topic, status: 'exists', message: '', partitions: 4, replicationFactor: 3 }]);
    expect(topicNotices(same)).to.deep.equal([]);
    const other = await ensureTopics([{ name: topic, partitions: 3, replicationFactor: 1 }], {
      brokers: testStack().brokers,
      metadata: producer,
    });
    expect(other[0]?.status).to.equal('differs');
    expect(topicNotices(other)).to.deep.equal([
      `topic ${topic} already exists with 4 partitions and replication factor 3 (asked for 3 and 1); using it as it is`,
    ]);
  });
});
