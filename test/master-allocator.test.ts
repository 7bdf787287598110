// The allocator and the state machine without HTTP, on a clock the test
// moves: the refuse_seconds rules, DRF order, what is worth offering,
// filters, suppression; heartbeats, filter expiry and failover timeouts to
// the millisecond.
import t from 'tap';
import { registerAgent } from '../src/master/agent-link';
import { Allocator, filterDuration } from '../src/master/allocator';
import { decline } from '../src/master/calls/offers';
import { connectionClosed, subscribe } from '../src/master/calls/subscribe';
import { ManualClock } from '../src/master/clock';
import { Master } from '../src/master/master';
import type { FrameworkConnection } from '../src/master/records';
import { parseResourceText } from '../src/master/resource-text';
import type { Event } from '../src/master/types';
import { TestAgent } from './helpers/master';

const cpusOf = (resources: ReadonlyArray<{ name: string; scalar?: { value: number } }>) =>
  resources.find((r) => r.name === 'cpus')?.scalar?.value;

t.test('refuse_seconds: default 5, negative 5, over a year a year, 0 none, at least the interval', async (t) => {
  t.equal(filterDuration(undefined, 1000), 5000);
  t.equal(filterDuration(5, 1000), 5000);
  t.equal(filterDuration(-1, 1000), 5000);
  t.equal(filterDuration(31536000, 1000), 31536000 * 1000);
  t.equal(filterDuration(31536001, 1000), 365 * 24 * 3600 * 1000);
  t.equal(filterDuration(1e300, 1000), 365 * 24 * 3600 * 1000);
  t.equal(filterDuration(0, 1000), 0);
  t.equal(filterDuration(0.2, 1000), 1000, 'never shorter than the allocation interval');
  t.equal(filterDuration(2.5, 1000), 2500);
});

t.test('DRF: the framework with the smaller dominant share is offered first', async (t) => {
  const allocator = new Allocator(1000);
  allocator.addAgent('a1', parseResourceText('cpus:4;mem:4096'));
  allocator.addAgent('a2', parseResourceText('cpus:4;mem:4096'));
  allocator.addFramework('f1', { roles: ['*'] });
  let out = allocator.allocate(0);
  t.same(out.map((a) => [a.frameworkId, a.agentId]), [['f1', 'a1'], ['f1', 'a2']], 'alone, it gets both agents');
  t.same(out[0]!.resources[0]!.allocation_info, { role: '*' });
  // f1 gives a2 back; f2 arrives holding nothing, so a2 goes to f2.
  allocator.recover('f1', 'a2', out[1]!.resources, 0);
  allocator.addFramework('f2', { roles: ['*'] });
  out = allocator.allocate(0);
  t.same(out.map((a) => [a.frameworkId, a.agentId]), [['f2', 'a2']]);
});

t.test('only what is worth offering: 0.01 cpus or 32 MB', async (t) => {
  const allocator = new Allocator(1000);
  allocator.addAgent('tiny', parseResourceText('cpus:0.009;mem:31;disk:1000'));
  allocator.addAgent('cpu', parseResourceText('cpus:0.01'));
  allocator.addAgent('mem', parseResourceText('mem:32'));
  allocator.addFramework('f', { roles: ['*'] });
  t.same(allocator.allocate(0).map((a) => a.agentId), ['cpu', 'mem']);
});

t.test('filters: cover what was refused, expire, go with REVIVE', async (t) => {
  const allocator = new Allocator(1000);
  allocator.addAgent('a', parseResourceText('cpus:4;mem:4096'));
  allocator.addFramework('f', { roles: ['*'] });
  const [offer] = allocator.allocate(0);
  allocator.recover('f', 'a', offer!.resources, 0, 5);
  t.same(allocator.allocate(4999), [], 'filtered for 5 s');
  t.equal(allocator.allocate(5000).length, 1, 'then offered again');

  // Refuse a part; when more than that is free, the filter no longer covers it.
  const allocation = allocator.allocate(5000);
  t.same(allocation, [], 'all of it is out already');
  allocator.recover('f', 'a', parseResourceText('cpus:1;mem:1024').map((r) => ({ ...r, allocation_info: { role: '*' } })), 5000, 60);
  t.same(allocator.allocate(5001), [], 'what is free is all refused');
  allocator.recover('f', 'a', parseResourceText('cpus:1').map((r) => ({ ...r, allocation_info: { role: '*' } })), 5001);
  const more = allocator.allocate(5002);
  t.equal(cpusOf(more[0]!.resources), 2, 'more than was refused: offered');

  allocator.recover('f', 'a', more[0]!.resources, 5002, 60);
  t.same(allocator.allocate(5003), []);
  allocator.revive('f', []);
  t.equal(allocator.allocate(5003).length, 1, 'REVIVE clears the filters');
});

t.test('suppression, by role; reserved resources go to their role only', async (t) => {
  const allocator = new Allocator(1000);
  allocator.addAgent('a', parseResourceText('cpus:2;cpus(web):1;mem:1024'));
  allocator.addFramework('f', { roles: ['*', 'web'] });
  allocator.suppress('f', ['*']);
  let out = allocator.allocate(0);
  t.same(out.map((a) => a.role), ['web'], 'only the unsuppressed role');
  t.same(
    out[0]!.resources.map((r) => [r.name, r.scalar!.value, r.reservations?.[0]?.role ?? '']),
    [
      ['cpus', 2, ''],
      ['cpus', 1, 'web'],
      ['mem', 1024, ''],
    ],
    'role web gets the unreserved resources and its own reservation',
  );
  allocator.recover('f', 'a', out[0]!.resources, 0);
  allocator.suppress('f', []);
  t.same(allocator.allocate(0), [], 'no roles named: all suppressed');
  t.same(allocator.suppressedRoles('f'), ['*', 'web']);
  allocator.revive('f', ['*']);
  out = allocator.allocate(0);
  t.same(out.map((a) => a.role), ['*']);
  t.same(out[0]!.resources.map((r) => r.reservations ?? []), [[], []], 'reserved cpus are not for role *');
});

/** A stream that records what the master sends it. */
class RecordedConnection implements FrameworkConnection {
  readonly events: Event[] = [];
  closed = false;
  constructor(readonly streamId: string) {}
  send(event: Event): void {
    if (!this.closed) this.events.push(event);
  }
  close(): void {
    this.closed = true;
  }
  types(): string[] {
    return this.events.map((e) => e.type);
  }
}

function machine(): { master: Master; clock: ManualClock; queue: Array<() => void> } {
  const clock = new ManualClock();
  const queue: Array<() => void> = [];
  const master = new Master({ masterId: 'M', ip: '10.0.0.1', port: 5050, hostname: 'm', clock, post: (fn) => queue.push(fn) });
  master.start();
  return { master, clock, queue };
}

t.test('the state machine on a manual clock: heartbeats every 15 s', async (t) => {
  const { master, clock } = machine();
  const connection = new RecordedConnection('s1');
  subscribe(master, connection, { framework_info: { user: 'u', name: 'n' } });
  t.same(connection.types(), ['SUBSCRIBED', 'HEARTBEAT']);
  t.equal(connection.events[0]!.subscribed!.framework_id.value, 'M-0000');
  t.equal(connection.events[0]!.subscribed!.master_info!.ip, 0x0100000a, '10.0.0.1, network order read as uint32');
  clock.advance(14_999);
  t.equal(connection.types().filter((x) => x === 'HEARTBEAT').length, 1);
  clock.advance(1);
  t.equal(connection.types().filter((x) => x === 'HEARTBEAT').length, 2);
  clock.advance(30_000);
  t.equal(connection.types().filter((x) => x === 'HEARTBEAT').length, 4);
  master.stop();
  t.ok(connection.closed, 'stop ends every stream');
});

t.test('the state machine: a declined offer comes back when its filter ends', async (t) => {
  const { master, clock } = machine();
  const agent = new TestAgent();
  agent.link = registerAgent(master, { hostname: 'h', resources: parseResourceText('cpus:1;mem:512') }, agent);
  const connection = new RecordedConnection('s1');
  subscribe(master, connection, { framework_info: { user: 'u', name: 'n' } });
  const framework = master.framework('M-0000')!;
  clock.advance(0);
  const offers = connection.events.filter((e) => e.type === 'OFFERS');
  t.equal(offers.length, 1, 'offered right after subscribing');
  t.equal(offers[0]!.offers!.offers[0]!.id.value, 'M-O0');
  decline(master, framework, { offer_ids: [{ value: 'M-O0' }], filters: { refuse_seconds: 3 } });
  clock.advance(2_999);
  t.equal(connection.events.filter((e) => e.type === 'OFFERS').length, 1);
  clock.advance(1_000);
  const again = connection.events.filter((e) => e.type === 'OFFERS');
  t.equal(again.length, 2, 'on the first allocation after 3 s');
  t.equal(again[1]!.offers!.offers[0]!.id.value, 'M-O1');
  master.stop();
});

t.test('the state machine: failover_timeout counts from the disconnection', async (t) => {
  const { master, clock, queue } = machine();
  const agent = new TestAgent();
  agent.link = registerAgent(master, { hostname: 'h', resources: parseResourceText('cpus:1;mem:512') }, agent);
  const connection = new RecordedConnection('s1');
  subscribe(master, connection, { framework_info: { user: 'u', name: 'n', failover_timeout: 10 } });
  clock.advance(5_000);
  connectionClosed(master, connection);
  t.ok(master.framework('M-0000'), 'disconnected, not removed');
  clock.advance(9_999);
  t.ok(master.framework('M-0000'));
  clock.advance(1);
  t.equal(master.framework('M-0000'), undefined, 'removed 10 s after the stream closed');
  t.ok(master.completedFrameworks.has('M-0000'));
  for (const fn of queue.splice(0)) fn();
  t.same(agent.calls.map((c) => c.method), ['shutdownFramework'], 'the agent is told, after the master is done');
  master.stop();
});
