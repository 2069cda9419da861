import { expect } from 'chai';
import { type CpuProfile, formatProfile, summarizeProfile } from '../../bench/profile.js';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

describe('bench/profile', () => {
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)') },
      { id: 2, callFrame: frame('(idle)') },
      { id: 3, callFrame: frame('decodeEnvelope', 'file:///work/main/dist/lib/sinks/validate.js', 34) },
      { id: 4, callFrame: frame('', 'file:///work/main/dist/lib/pipeline/apply-batch.js', 9) },
      { id: 5, callFrame: frame('(garbage collector)') },
    ],
    samples: [2, 3, 3, 4, 2, 5, 3],
    timeDeltas: [1000, 2000, 2000, 500, 3000, 700, 1000],
    startTime: 0,
    endTime: 10_200,
  };

  it('splits busy from idle and ranks functions by self time', () => {
    const s = summarizeProfile(profile, 2);
    expect(s.wallMs).to.equal(10.2);
    expect(s.idleMs).to.equal(4);
    expect(s.busyMs).to.equal(6.2);
    expect(s.top).to.deep.equal([
      { name: 'decodeEnvelope sinks/validate.js:35', ms: 5 },
      { name: '(garbage collector)', ms: 0.7 },
    ]);
  });

  it('prints one line per thread and one per function', () => {
    const text = formatProfile('worker thread', summarizeProfile(profile, 3));
    expect(text.split('\n')).to.deep.equal([
      'worker thread: 10 ms profiled, 6 ms busy (61%), 4 ms idle',
      '       5 ms  decodeEnvelope sinks/validate.js:35',
      '       1 ms  (garbage collector)',
      '       1 ms  (anonymous) pipeline/apply-batch.js:10',
    ]);
  });
});
