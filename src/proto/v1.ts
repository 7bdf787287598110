// The v1 scheduler API's messages: the schema of mesos.v1 and
// mesos.v1.scheduler, and their TypeScript types. What the master, the
// scheduler client and the agent read and write.
import set from './generated/v1';
import type { mesos } from './generated/types';
import { messageType, Schema } from './schema';

export type { mesos } from './generated/types';

export const v1Schema = new Schema(set);

export type Call = mesos.v1.scheduler.Call;
export type Event = mesos.v1.scheduler.Event;
export type Response = mesos.v1.scheduler.Response;

export const Call = messageType<Call>(v1Schema, 'mesos.v1.scheduler.Call');
export const Event = messageType<Event>(v1Schema, 'mesos.v1.scheduler.Event');
export const Response = messageType<Response>(v1Schema, 'mesos.v1.scheduler.Response');

/** Any mesos.v1 message by its full name, e.g. `v1Type<mesos.v1.TaskStatus>('mesos.v1.TaskStatus')`. */
export function v1Type<T>(name: string) {
  return messageType<T>(v1Schema, name);
}
