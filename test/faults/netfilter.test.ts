/**
 * The pure parts of the netfilter helper and of the Kafka layout: rule specs, counters, group ids,
 * address lists, the mock cluster's coordinator. That the rules cut only the grouped process is shown
 * by the scenarios themselves (ProcessFirewall.probe), which need root.
 */
import { expect } from 'chai';
import { mockCoordinator } from './kafka-layout.js';
import {
  chainNames,
  dropSpecs,
  droppedPackets,
  GID_RANGE,
  groupIds,
  hostPorts,
  packetsOf,
  pickGid,
  resetSpec,
  setupCommands,
  teardownCommands,
} from './netfilter.js';

describe('netfilter helper', () => {
  it('hooks the owner match into OUTPUT and the connection mark into INPUT, marking before any drop', () => {
    const cmds = setupCommands(61234);
    const c = chainNames(61234);
    expect(cmds[0]).to.deep.equal(['-N', c.out]);
    expect(cmds[2]).to.deep.equal(['-A', c.out, '-j', 'CONNMARK', '--set-mark', '0xef32']);
    expect(cmds).to.deep.include(['-I', 'OUTPUT', '1', '-m', 'owner', '--gid-owner', '61234', '--suppl-groups', '-j', c.out]);
    expect(cmds).to.deep.include(['-I', 'INPUT', '1', '-m', 'connmark', '--mark', '0xef32', '-j', c.in]);
    // Chain names must fit iptables' 28 characters.
    expect(c.out.length).to.be.at.most(28);
  });

  it('tears down exactly what it set up: each hook deleted by the same match, then the chains', () => {
    const setup = setupCommands(61234);
    const down = teardownCommands(61234);
    for (const hook of setup.filter((a) => a[0] === '-I')) {
      expect(down).to.deep.include(['-D', hook[1] as string, ...hook.slice(3)]);
    }
    const c = chainNames(61234);
    expect(down.slice(-2)).to.deep.equal([
      ['-X', c.out],
      ['-X', c.in],
    ]);
  });

  it('drops by destination port going out and by source port coming in', () => {
    const c = chainNames(61234);
    expect(dropSpecs(61234, 9092)).to.deep.equal([
      { chain: c.out, spec: ['-p', 'tcp', '--dport', '9092', '-j', 'DROP'] },
      { chain: c.in, spec: ['-p', 'tcp', '--sport', '9092', '-j', 'DROP'] },
    ]);
  });

  it("sums the DROP rules' packet counters of `iptables -S CHAIN -v`, not the mark rule's", () => {
    const listing = [
      '-N CDCF61234O',
      '-A CDCF61234O -c 5000 300000 -j CONNMARK --set-xmark 0xef32/0xffffffff',
      '-A CDCF61234O -p tcp -m tcp --dport 39001 -c 12 720 -j DROP',
      '-A CDCF61234O -p tcp -m tcp --dport 39002 -c 3 180 -j DROP',
      '',
    ].join('\n');
    expect(droppedPackets(listing)).to.equal(15);
    expect(droppedPackets('-N CDCF61234O\n')).to.equal(0);
    expect(packetsOf(listing, 'REJECT')).to.equal(0);
  });

  it('picks a group id in its range that /etc/group does not name', () => {
    const taken = groupIds('root:x:0:\nusers:x:100:\nodd:x:61000:a,b\n\nbroken line\n');
    expect([...taken].sort((a, b) => a - b)).to.deep.equal([0, 100, 61000]);
    expect(pickGid(taken, () => 0)).to.equal(61001);
    const gid = pickGid(new Set(), Math.random);
    expect(gid).to.be.within(GID_RANGE.min, GID_RANGE.max);
    const all = new Set<number>();
    for (let g = GID_RANGE.min; g <= GID_RANGE.max; g++) all.add(g);
    all.delete(GID_RANGE.max);
    expect(pickGid(all, () => 0.5)).to.equal(GID_RANGE.max);
    all.add(GID_RANGE.max);
    expect(() => pickGid(all)).to.throw(/no free group id/);
  });

  it('reads host:port lists, IPv6 brackets included, and refuses anything else', () => {
    expect(hostPorts('127.0.0.1:39001, 127.0.0.1:39002,')).to.deep.equal([
      { host: '127.0.0.1', port: 39001 },
      { host: '127.0.0.1', port: 39002 },
    ]);
    expect(hostPorts('[::1]:9092')).to.deep.equal([{ host: '::1', port: 9092 }]);
    expect(() => hostPorts('localhost')).to.throw(/not host:port/);
    expect(() => hostPorts('h:70000')).to.throw(/not host:port/);
  });

  it("names the mock cluster's coordinator by CRC-32 of the group id over the brokers in id order", () => {
    // crc32("cdc-pipeline") = 0x95a4411a = 2510569754: modulo 3 it is 2 (the third broker), modulo 2 it is 0.
    expect(mockCoordinator('cdc-pipeline', [3, 1, 2])).to.equal(3);
    expect(mockCoordinator('cdc-pipeline', [1, 2])).to.equal(1);
    expect(() => mockCoordinator('g', [])).to.throw(/no brokers/);
  });

  it('resets by destination port going out, with a TCP reset, and counts what its rule answered', () => {
    expect(resetSpec(61234, 9093)).to.deep.equal({
      chain: chainNames(61234).out,
      spec: ['-p', 'tcp', '--dport', '9093', '-j', 'REJECT', '--reject-with', 'tcp-reset'],
    });
    const listing = [
      '-N CDCF61234O',
      '-A CDCF61234O -c 40 2400 -j CONNMARK --set-xmark 0xef32/0xffffffff',
      '-A CDCF61234O -p tcp -m tcp --dport 9093 -c 3 180 -j REJECT --reject-with tcp-reset',
      '-A CDCF61234O -p tcp -m tcp --dport 9094 -c 2 120 -j REJECT --reject-with tcp-reset',
      '-A CDCF61234O -p tcp -m tcp --dport 9095 -c 7 420 -j DROP',
    ].join('\n');
    expect(packetsOf(listing, 'REJECT')).to.equal(5);
    expect(packetsOf(listing, 'DROP')).to.equal(7);
  });
});
