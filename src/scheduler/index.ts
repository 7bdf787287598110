// A client of Mesos's v1 scheduler API, for any master that speaks it
// (ours in src/master/, or Apache's):
//
//   const scheduler = new Scheduler({ master: '127.0.0.1:5050', framework: { user: 'me', name: 'mine' } });
//   scheduler.on('offers', (offers) => ...);
//   scheduler.on('update', (status) => scheduler.acknowledge(status));
//   await scheduler.start();            // resolves with the first SUBSCRIBED
//   await scheduler.launch([offer.id], [task]);
//   scheduler.stop();
//
// or, for one task as mesos-execute runs it:
//
//   const run = runTask({ master: '127.0.0.1:5050', task: { name: 't', task_id: { value: 't' }, resources, command } });
//   const status = await run.done;      // the terminal TaskStatus
//
// Messages are the protobuf layer's objects (see ./types).
export { Scheduler, SchedulerError } from './scheduler';
export type { CallResult, SchedulerEvents, SchedulerOptions, SchedulerState } from './scheduler';
export { CallError } from './call-error';
export type { ContentType } from './content-type';
export { MasterAddressError, parseMasterAddress } from './master-address';
export type { MasterAddress } from './master-address';
export { executeFramework, runTask, TaskRun } from './run-task';
export type { RunTaskOptions, TaskRunEvents } from './run-task';
export { contains, find, toUnreserved, unallocate } from './resources';
export { parseResources, ResourceTextError } from './resource-text';
export { isTerminal } from '../proto/task-state';
export { toId } from './calls';
export type * from './types';
