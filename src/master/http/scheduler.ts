// The scheduler endpoint, /master/api/v1/scheduler (and /api/v1/scheduler),
// with Mesos's checks in Mesos's order (master/http.cpp scheduler()):
//
//   405 not a POST; 400 no Content-Type; 415 not one of the two media
//   types; 413 (ours) a body over the limit; 400 a body that is not a
//   Call; 400 a Call that fails validation; 406 for SUBSCRIBE, an Accept
//   that admits neither media type; 400 a SUBSCRIBE with a stream id; then
//   for the other calls 400 unknown framework, 403 not subscribed, 400 no
//   or another stream id; 501 UNKNOWN. Then 200 and a stream (SUBSCRIBE),
//   200 (UPDATE_FRAMEWORK) or 202.
//
// Leadership (307/503 "No leader elected") and recovery (503) never
// apply: this master is always the leader and recovers nothing.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { accept } from '../calls/accept';
import { decline, inverseOffers, revive, suppress } from '../calls/offers';
import { acknowledgeOperationStatus, reconcileOperations } from '../calls/operations';
import { connectionClosed, subscribe, teardown } from '../calls/subscribe';
import { acknowledge, kill, message, reconcile, shutdown } from '../calls/tasks';
import { updateFramework } from '../calls/update-framework';
import { APPLICATION_JSON, APPLICATION_PROTOBUF, CallDecodeError, decodeCall, type MediaType } from '../codec';
import { newUuid } from '../ids';
import type { Master } from '../master';
import type { FrameworkRecord } from '../records';
import { quote } from '../text';
import type { Call } from '../types';
import { validateCall } from '../validation/call';
import { acceptsMediaType } from './media';
import { methodNotAllowed, reply } from './responses';
import { HttpFrameworkConnection } from './stream';

export interface RequestBody {
  readonly bytes: Buffer;
  /** More came than the limit; `bytes` holds none of it. */
  readonly tooLarge: boolean;
  readonly limit: number;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The type of the stream a SUBSCRIBE gets, or undefined when the Accept header admits neither. */
function streamType(req: IncomingMessage): MediaType | undefined {
  const acceptHeader = header(req, 'accept');
  if (acceptsMediaType(acceptHeader, APPLICATION_JSON)) return APPLICATION_JSON;
  if (acceptsMediaType(acceptHeader, APPLICATION_PROTOBUF)) return APPLICATION_PROTOBUF;
  return undefined;
}

function openStream(master: Master, res: ServerResponse, type: MediaType, call: Call): void {
  const connection = new HttpFrameworkConnection(newUuid(), res, type, (gone) => connectionClosed(master, gone));
  subscribe(master, connection, call.subscribe!);
}

/** Runs a non-SUBSCRIBE call for its framework and answers it. */
function dispatch(master: Master, framework: FrameworkRecord, call: Call, res: ServerResponse): void {
  switch (call.type) {
    case 'TEARDOWN':
      teardown(master, framework);
      break;
    case 'ACCEPT':
      accept(master, framework, call.accept!);
      break;
    case 'DECLINE':
      decline(master, framework, call.decline!);
      break;
    case 'ACCEPT_INVERSE_OFFERS':
    case 'DECLINE_INVERSE_OFFERS':
      inverseOffers(master, framework);
      break;
    case 'REVIVE':
      revive(master, framework, call.revive?.roles ?? []);
      break;
    case 'SUPPRESS':
      suppress(master, framework, call.suppress?.roles ?? []);
      break;
    case 'KILL':
      kill(master, framework, call.kill!);
      break;
    case 'SHUTDOWN':
      shutdown(master, framework, call.shutdown!);
      break;
    case 'ACKNOWLEDGE':
      acknowledge(master, framework, call.acknowledge!);
      break;
    case 'RECONCILE':
      reconcile(master, framework, call.reconcile!);
      break;
    case 'MESSAGE':
      message(master, framework, call.message!);
      break;
    case 'REQUEST':
      // Mesos's allocator takes resource requests and ignores them.
      break;
    case 'ACKNOWLEDGE_OPERATION_STATUS':
      acknowledgeOperationStatus(master, framework);
      break;
    case 'RECONCILE_OPERATIONS':
      reconcileOperations(master, framework, call.reconcile_operations!);
      break;
    case 'UPDATE_FRAMEWORK': {
      const result = updateFramework(master, framework, call.update_framework!);
      return result.ok ? reply(res, 200) : reply(res, result.status, result.message);
    }
    default:
      return reply(res, 501);
  }
  reply(res, 202);
}

export function handleScheduler(master: Master, req: IncomingMessage, res: ServerResponse, body: RequestBody): void {
  if (req.method !== 'POST') return methodNotAllowed(res, ['POST'], req.method ?? '');

  const contentType = header(req, 'content-type');
  if (contentType === undefined) return reply(res, 400, "Expecting 'Content-Type' to be present");
  if (contentType !== APPLICATION_JSON && contentType !== APPLICATION_PROTOBUF) {
    return reply(res, 415, `Expecting 'Content-Type' of ${APPLICATION_JSON} or ${APPLICATION_PROTOBUF}`);
  }
  if (body.tooLarge) return reply(res, 413, `Request body is larger than ${body.limit} bytes`);

  let call: Call;
  try {
    call = decodeCall(body.bytes, contentType);
  } catch (error) {
    if (error instanceof CallDecodeError) return reply(res, 400, error.message);
    throw error;
  }

  const invalid = validateCall(call);
  if (invalid !== undefined) return reply(res, 400, `Failed to validate scheduler::Call: ${invalid}`);

  let type: MediaType | undefined;
  if (call.type === 'SUBSCRIBE' || call.type === 'RECONCILE_OPERATIONS') {
    type = streamType(req);
    if (type === undefined) {
      return reply(res, 406, `Expecting 'Accept' to allow '${APPLICATION_PROTOBUF}' or '${APPLICATION_JSON}'`);
    }
  }

  const streamId = header(req, 'mesos-stream-id');
  if (call.type === 'SUBSCRIBE') {
    if (streamId !== undefined) return reply(res, 400, "Subscribe calls should not include the 'Mesos-Stream-Id' header");
    return openStream(master, res, type!, call);
  }

  const framework = master.framework(call.framework_id!.value);
  if (framework === undefined) return reply(res, 400, 'Framework cannot be found');
  if (framework.connection === undefined) return reply(res, 403, 'Framework is not subscribed');
  if (streamId === undefined) return reply(res, 400, "All non-subscribe calls should include the 'Mesos-Stream-Id' header");
  if (streamId !== framework.connection.streamId) {
    return reply(
      res,
      400,
      `The stream ID '${quote(streamId)}' included in this request didn't match the stream ID currently associated with framework ID ${framework.id}`,
    );
  }
  dispatch(master, framework, call, res);
}
