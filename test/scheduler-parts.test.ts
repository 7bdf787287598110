// The scheduler client's parts on their own: master addresses, the calls'
// messages, and the resource arithmetic that fits a task into an offer.
import t from 'tap';
import { acknowledgeBody, makeCall, messageBody, reconcileBody, rolesBody } from '../src/scheduler/calls';
import { contains, find, parseMasterAddress, parseResources, ResourceTextError, toUnreserved, unallocate } from '../src/scheduler/index';
import type { Resource } from '../src/scheduler/types';
import { caught } from './helpers/caught';

t.test('master addresses: HOST:PORT and http://HOST:PORT; zk://, file:// and the rest refused in one line', async (t) => {
  t.same(parseMasterAddress('127.0.0.1:5050'), { host: '127.0.0.1', port: 5050, text: '127.0.0.1:5050' });
  t.same(parseMasterAddress('http://master.local:5050'), { host: 'master.local', port: 5050, text: 'master.local:5050' });
  t.same(parseMasterAddress('http://master.local:5050/'), { host: 'master.local', port: 5050, text: 'master.local:5050' });
  t.same(parseMasterAddress('[::1]:5050'), { host: '::1', port: 5050, text: '[::1]:5050' });
  const refused: Array<[string, RegExp]> = [
    ['zk://zk1:2181,zk2:2181/mesos', /ZooKeeper/],
    ['file:///etc/mesos/master', /from a file/],
    ['local', /of its own/],
    ['https://master:5050', /plain HTTP/],
    ['ftp://master:5050', /unknown scheme/],
    ['master', /a host and a port/],
    ['master:0', /out of range/],
    ['master:70000', /out of range/],
    ['http://master:5050/master/api/v1/scheduler', /a path after the port/],
  ];
  for (const [master, why] of refused) {
    t.throws(() => parseMasterAddress(master), { name: 'MasterAddressError', message: why }, master);
    try {
      parseMasterAddress(master);
    } catch (error) {
      t.match((error as Error).message, /give HOST:PORT or http:\/\/HOST:PORT$/);
      t.notMatch((error as Error).message, /\n/);
    }
  }
});

t.test('calls: the sub-message under the type, ids given either way, acknowledgements only with a uuid', async (t) => {
  t.same(makeCall('KILL', 'f', { task_id: { value: 't' } }), { type: 'KILL', framework_id: { value: 'f' }, kill: { task_id: { value: 't' } } });
  t.same(makeCall('TEARDOWN', 'f'), { type: 'TEARDOWN', framework_id: { value: 'f' } });
  t.same(makeCall('UPDATE_FRAMEWORK', 'f', {}), { type: 'UPDATE_FRAMEWORK', framework_id: { value: 'f' }, update_framework: {} });
  t.same(rolesBody(), {});
  t.same(rolesBody([]), {});
  t.same(rolesBody(['a']), { roles: ['a'] });
  t.same(reconcileBody([{ task_id: 't', agent_id: { value: 'a' } }]), { tasks: [{ task_id: { value: 't' }, agent_id: { value: 'a' } }] });
  t.same(messageBody('a', 'e', 'hé').data, new Uint8Array(Buffer.from('hé')));
  const uuid = new Uint8Array(16);
  t.same(acknowledgeBody({ task_id: { value: 't' }, state: 'TASK_RUNNING', agent_id: { value: 'a' }, uuid }), {
    agent_id: { value: 'a' },
    task_id: { value: 't' },
    uuid,
  });
  t.equal(acknowledgeBody({ task_id: { value: 't' }, state: 'TASK_LOST' }), undefined);
});

const cpus = (value: number, extra: Partial<Resource> = {}): Resource => ({ name: 'cpus', type: 'SCALAR', scalar: { value }, ...extra });
const mem = (value: number, extra: Partial<Resource> = {}): Resource => ({ name: 'mem', type: 'SCALAR', scalar: { value }, ...extra });
const ports = (spans: Array<[number, number]>, extra: Partial<Resource> = {}): Resource => ({
  name: 'ports',
  type: 'RANGES',
  ranges: { range: spans.map(([b, e]) => ({ begin: BigInt(b), end: BigInt(e) })) },
  ...extra,
});
const reserved = (role: string): Partial<Resource> => ({ reservations: [{ type: 'STATIC', role }] });

t.test('contains: scalars in thousandths, ranges by their members, reservations part of what a resource is', async (t) => {
  const offer = [cpus(4), mem(1024), ports([[31000, 31005], [31010, 32000]])];
  t.ok(contains(offer, [cpus(1), mem(128)]));
  t.ok(contains(offer, [cpus(4), mem(1024)]));
  t.ok(contains(offer, [cpus(2), cpus(2)]), 'the wanted add up');
  t.notOk(contains(offer, [cpus(4.001)]));
  t.ok(contains([cpus(0.1), cpus(0.2)], [cpus(0.3)]), '0.1 + 0.2 is 0.3 in thousandths');
  t.ok(contains(offer, [ports([[31001, 31002], [31500, 31500]])]));
  t.notOk(contains(offer, [ports([[31004, 31011]])]), 'a hole in the offer');
  t.notOk(contains(offer, [{ name: 'disk', type: 'SCALAR', scalar: { value: 1 } }]));
  t.notOk(contains([cpus(4, reserved('web'))], [cpus(1)]), 'reserved is not unreserved');
  t.ok(contains(toUnreserved([cpus(4, reserved('web'))]), [cpus(1)]), 'unless reservations are set aside');
  t.ok(contains([cpus(4, { role: '*' })], [cpus(1)]), "role '*' is unreserved");
  t.notOk(contains([cpus(4, { revocable: {} })], [cpus(1)]), 'revocable is another kind');
  t.same(unallocate([cpus(1, { allocation_info: { role: '*' } })]), [cpus(1)]);
});

t.test('find: the offer’s own resources, reserved for the role first, then unreserved', async (t) => {
  const offer = [cpus(1, reserved('web')), cpus(3), mem(512), ports([[31000, 31010]])];
  t.same(find(offer, [cpus(2), mem(128)], 'web'), [cpus(1, reserved('web')), cpus(1), mem(128)]);
  t.same(find(offer, [cpus(2), mem(128)], '*'), [cpus(2), mem(128)], "for '*', unreserved first");
  t.same(find(offer, [ports([[31002, 31003]])]), [ports([[31002, 31003]])]);
  t.equal(find(offer, [cpus(5)], 'web'), undefined);
  t.equal(find(offer, [ports([[31011, 31011]])]), undefined);
  t.same(find(offer, [cpus(1, reserved('web'))], '*'), [cpus(1, reserved('web'))], 'a reserved target from its reservation');
  t.same(find(offer, [cpus(0.5), cpus(0.5)]), [cpus(0.5), cpus(0.5)], 'what one target took is gone for the next');
  t.equal(find([cpus(0.5)], [cpus(0.5), cpus(0.5)]), undefined);
  const set: Resource = { name: 'gpus_ids', type: 'SET', set: { item: ['a', 'b', 'c'] } };
  t.same(find([set], [{ name: 'gpus_ids', type: 'SET', set: { item: ['b'] } }]), [{ name: 'gpus_ids', type: 'SET', set: { item: ['b'] } }]);
});

t.test("parseResources: Mesos's text form as the scheduler's messages", async (t) => {
  t.same(parseResources('cpus:0.5; mem:64;ports:[31000-31010, 31020-31020];disk(web):10'), [
    { name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 } },
    { name: 'mem', type: 'SCALAR', scalar: { value: 64 } },
    { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000n, end: 31010n }, { begin: 31020n, end: 31020n }] } },
    { name: 'disk', type: 'SCALAR', scalar: { value: 10 }, reservations: [{ type: 'STATIC', role: 'web' }] },
  ]);
  t.same(parseResources(''), []);
  t.match(caught(ResourceTextError, () => parseResources('cpus')).message, /missing ':'/, 'a ResourceTextError');
  t.throws(() => parseResources('cpus:x'), { message: "Bad scalar value 'x' in cpus:x" });
});
