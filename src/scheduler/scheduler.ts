// A client of the v1 scheduler API, as Mesos's own (src/scheduler/
// scheduler.cpp) behaves:
//
// - two keep-alive connections to the master, one for SUBSCRIBE and its
//   stream, one for every other call, each call sent after the one before
//   it has been answered, so calls reach the master in the order made;
// - SUBSCRIBE sent until the master takes it: again 1 s after the last
//   try when the answer is 503 (no leader, recovering), 307 (not the
//   leader) or 404 (routes not up yet), and 0-500 ms (random) after a
//   connection fails, as Mesos's client waits before it reconnects;
// - once subscribed, a broken stream (the master closed it, the
//   connection dropped, the framing broke) or a failed call's connection
//   ends both connections: `disconnected`, then a new SUBSCRIBE after a
//   random 0-500 ms with the framework's id, so the master takes it as
//   the same framework reconnecting;
// - no event for `missedHeartbeats` heartbeat intervals also counts as a
//   broken stream (Mesos's documentation asks schedulers to check this;
//   its client leaves it to them);
// - an ERROR event ends the subscription for good (the master has removed
//   the framework, or another scheduler has taken it over): the client
//   stops and says so with `error`, where reconnecting would only take the
//   framework back from the scheduler that took it over. So does an answer
//   to SUBSCRIBE other than 200, 503, 307 or 404, which no retry mends.
//
// `error` follows Node's rule: with no listener it is thrown, unless
// start()'s promise is still waiting, which then rejects with it.
import { EventEmitter } from 'node:events';
import type { Agent, ClientRequest, IncomingMessage } from 'node:http';
import { oneLine } from '../proto/errors';
import { CallError } from './call-error';
import {
  acceptBody,
  acknowledgeBody,
  declineBody,
  killBody,
  launchOperation,
  makeCall,
  messageBody,
  reconcileBody,
  requestBody,
  rolesBody,
  shutdownBody,
  subscribeBody,
  updateFrameworkBody,
} from './calls';
import { decodeResponse, encodeCall, isMediaType, type ContentType } from './content-type';
import { EventStream } from './event-stream';
import { bodyText, connectionAgent, post, schedulerRequest } from './http';
import { Liveness } from './liveness';
import { parseMasterAddress, type MasterAddress } from './master-address';
import type {
  CallType,
  Event,
  FailureEvent,
  Filters,
  FrameworkInfo,
  Id,
  InverseOffer,
  KillPolicy,
  MessageEvent,
  Offer,
  OfferID,
  Operation,
  OperationStatus,
  ReconcileTask,
  Request,
  Response,
  SubscribedEvent,
  TaskInfo,
  TaskStatus,
} from './types';

export interface SchedulerOptions {
  /** `HOST:PORT` or `http://HOST:PORT`. */
  readonly master: string;
  /** The framework; its `id` resubscribes as an existing framework. */
  readonly framework: FrameworkInfo;
  /** What bodies and the stream are written in; default 'json'. */
  readonly contentType?: ContentType;
  /** Roles to subscribe suppressed (Call.Subscribe.suppressed_roles). */
  readonly suppressedRoles?: readonly string[];
  /** Between SUBSCRIBE tries the master turned away; default 1000 (Mesos's client and mesos-execute). */
  readonly subscribeIntervalMs?: number;
  /** The most a reconnection waits, a random part of it each time; default 500 (Mesos's connection_delay_max). */
  readonly connectionDelayMaxMs?: number;
  /** How many heartbeat intervals may pass without an event before the stream is taken as broken; default 5, 0 never. */
  readonly missedHeartbeats?: number;
  /** How long a call, or SUBSCRIBE until its stream's first event, may wait for the master; default 75 s. */
  readonly callTimeoutMs?: number;
}

/** Where the client is, in the words of Mesos's client where it has them. */
export type SchedulerState = 'STOPPED' | 'CONNECTING' | 'SUBSCRIBING' | 'SUBSCRIBED';

/** What a call got: 202, or 200 with the Response the master sent, if any. */
export interface CallResult {
  readonly status: number;
  readonly response?: Response;
}

/** An ERROR event, or a failure of the client's own; `fatal` when the client has stopped for it. */
export class SchedulerError extends Error {
  override readonly name = 'SchedulerError';

  constructor(
    message: string,
    /** An ERROR event or an answer from the master, rather than the client's own finding. */
    readonly fromMaster: boolean,
    readonly fatal: boolean,
  ) {
    super(oneLine(message));
  }
}

export interface SchedulerEvents {
  subscribed: [subscribed: SubscribedEvent];
  offers: [offers: Offer[]];
  inverseOffers: [inverseOffers: InverseOffer[]];
  rescind: [offerId: OfferID];
  rescindInverseOffer: [inverseOfferId: OfferID];
  update: [status: TaskStatus];
  operationStatus: [status: OperationStatus];
  message: [message: MessageEvent];
  failure: [failure: FailureEvent];
  error: [error: SchedulerError];
  heartbeat: [];
  /** The subscription was lost, and why; the client is reconnecting. */
  disconnected: [reason: string];
  /** Every event from the master, before its own kind's. */
  event: [event: Event];
}

const RETRIED_SUBSCRIBE_STATUSES: ReadonlySet<number> = new Set([503, 307, 404]);

interface PendingCall {
  readonly reject: (error: Error) => void;
}

interface Waiter {
  readonly promise: Promise<SubscribedEvent>;
  resolve(subscribed: SubscribedEvent): void;
  reject(error: Error): void;
}

function waiter(): Waiter {
  let resolve!: (subscribed: SubscribedEvent) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<SubscribedEvent>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Handled here so that a caller who never awaits start() is not an unhandled rejection.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

export class Scheduler extends EventEmitter<SchedulerEvents> {
  readonly contentType: ContentType;
  private readonly address: MasterAddress;
  private framework: FrameworkInfo;
  private suppressedRoles: readonly string[] | undefined;
  private readonly subscribeIntervalMs: number;
  private readonly connectionDelayMaxMs: number;
  private readonly missedHeartbeats: number;
  private readonly callTimeoutMs: number;

  private currentState: SchedulerState = 'STOPPED';
  /** Bumped whenever the connections are dropped: callbacks of older ones are ignored. */
  private epoch = 0;
  private streamAgent: Agent = connectionAgent();
  private callsAgent: Agent = connectionAgent();
  private subscribeRequest: ClientRequest | undefined;
  private stream: EventStream | undefined;
  private currentStreamId: string | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly liveness: Liveness;
  private readonly pending = new Set<PendingCall>();
  private firstSubscribed: Waiter | undefined;
  /** A TEARDOWN is on its way: the stream's end is expected, not a reason to reconnect. */
  private tearingDown = false;

  constructor(options: SchedulerOptions) {
    super();
    this.address = parseMasterAddress(options.master);
    this.framework = structuredClone(options.framework);
    this.contentType = options.contentType ?? 'json';
    this.suppressedRoles = options.suppressedRoles;
    this.subscribeIntervalMs = options.subscribeIntervalMs ?? 1000;
    this.connectionDelayMaxMs = options.connectionDelayMaxMs ?? 500;
    this.missedHeartbeats = options.missedHeartbeats ?? 5;
    this.callTimeoutMs = options.callTimeoutMs ?? 75_000;
    this.liveness = new Liveness((silentMs) =>
      this.connectionLost(`No event from the master for ${silentMs} ms: the stream is taken as broken`),
    );
  }

  get state(): SchedulerState {
    return this.currentState;
  }

  /** The framework's id, once a SUBSCRIBED has given it (or the FrameworkInfo had it). */
  get frameworkId(): string | undefined {
    return this.framework.id?.value;
  }

  /** The stream's id while a stream is open. */
  get streamId(): string | undefined {
    return this.currentStreamId;
  }

  /** "HOST:PORT" of the master. */
  get master(): string {
    return this.address.text;
  }

  /**
   * Subscribes, and keeps subscribed until stop(). Resolves with the first
   * SUBSCRIBED; rejects when the client stops before one (stop(), or a
   * refusal). Calling it again while started returns the same promise.
   */
  start(): Promise<SubscribedEvent> {
    if (this.currentState !== 'STOPPED') return this.firstSubscribed!.promise;
    this.firstSubscribed = waiter();
    this.currentState = 'CONNECTING';
    this.subscribe();
    return this.firstSubscribed.promise;
  }

  /** Ends both connections, every timer and every call still waiting; no reconnection follows. */
  stop(): void {
    if (this.currentState === 'STOPPED') return;
    this.dropConnections(new CallError('The scheduler was stopped', 'call'));
    this.currentState = 'STOPPED';
    this.tearingDown = false;
    this.firstSubscribed?.reject(new SchedulerError('The scheduler was stopped before it subscribed', false, true));
  }

  /** Drops the connections and subscribes again, as after a lost stream (Mesos's reconnect()). */
  reconnect(): void {
    if (this.currentState === 'SUBSCRIBING' || this.currentState === 'SUBSCRIBED') {
      this.connectionLost('Received reconnect request from scheduler');
    }
  }

  // -------------------------------------------------------------------------
  // Subscribing and the stream.

  private subscribe(): void {
    this.retryTimer = undefined;
    if (this.currentState !== 'CONNECTING') return;
    this.currentState = 'SUBSCRIBING';
    const epoch = this.epoch;
    const sentAt = Date.now();
    const call = makeCall('SUBSCRIBE', this.frameworkId, subscribeBody(this.framework, this.suppressedRoles));
    let body: Buffer;
    try {
      body = encodeCall(this.contentType, call);
    } catch (error) {
      this.fail(`Failed to encode SUBSCRIBE: ${oneLine(error)}`, false);
      return;
    }
    const req = schedulerRequest(this.address, this.streamAgent, this.contentType, body);
    this.subscribeRequest = req;
    req.on('error', (error) => {
      if (epoch === this.epoch) this.connectionLost(`Failed to subscribe: ${oneLine(error)}`);
    });
    req.on('response', (res) => {
      if (epoch !== this.epoch) {
        res.destroy();
        return;
      }
      this.subscribeAnswered(res, sentAt);
    });
    // Until the first event arms it for heartbeats, the stream has a call's time to answer.
    this.liveness.arm(this.callTimeoutMs);
  }

  private subscribeAnswered(res: IncomingMessage, sentAt: number): void {
    const epoch = this.epoch;
    const status = res.statusCode ?? 0;
    if (status === 200) {
      const streamId = res.headers['mesos-stream-id'];
      if (typeof streamId !== 'string' || streamId === '' || !isMediaType(res.headers['content-type'], this.contentType)) {
        res.destroy();
        this.connectionLost(
          typeof streamId !== 'string' || streamId === ''
            ? "The master's answer to SUBSCRIBE has no 'Mesos-Stream-Id'"
            : `The master's stream is '${res.headers['content-type'] ?? ''}', not the ${this.contentType} asked for`,
        );
        return;
      }
      this.currentStreamId = streamId;
      this.stream = new EventStream(res, this.contentType, {
        event: (event) => {
          if (epoch === this.epoch) this.received(event);
        },
        undecodable: (message) => {
          if (epoch === this.epoch) this.report(new SchedulerError(message, false, false));
        },
        broken: (reason) => {
          if (epoch === this.epoch) this.connectionLost(reason);
        },
      });
      return;
    }
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('error', () => {});
    res.on('close', () => {
      if (epoch !== this.epoch) return;
      this.subscribeRequest = undefined;
      if (!res.complete) {
        this.connectionLost('Subscribe connection interrupted');
        return;
      }
      if (RETRIED_SUBSCRIBE_STATUSES.has(status)) {
        this.liveness.disarm();
        this.currentState = 'CONNECTING';
        this.retryTimer = setTimeout(() => this.subscribe(), Math.max(0, sentAt + this.subscribeIntervalMs - Date.now()));
        return;
      }
      this.fail(
        `Received unexpected '${status} ${res.statusMessage ?? ''}' (${bodyText(Buffer.concat(chunks))}) for SUBSCRIBE`,
        true,
      );
    });
  }

  private received(event: Event): void {
    const epoch = this.epoch;
    this.liveness.touch();
    if (event.type === 'SUBSCRIBED' && event.subscribed !== undefined) {
      this.framework = { ...this.framework, id: { value: event.subscribed.framework_id.value } };
      this.currentState = 'SUBSCRIBED';
      const interval = event.subscribed.heartbeat_interval_seconds;
      if (this.missedHeartbeats > 0 && interval !== undefined && interval > 0) {
        this.liveness.arm(this.missedHeartbeats * interval * 1000);
      } else {
        this.liveness.disarm();
      }
    }
    this.emit('event', event);
    if (epoch !== this.epoch) return;
    switch (event.type) {
      case 'SUBSCRIBED':
        if (event.subscribed === undefined) break;
        this.emit('subscribed', event.subscribed);
        this.firstSubscribed?.resolve(event.subscribed);
        break;
      case 'OFFERS':
        this.emit('offers', event.offers?.offers ?? []);
        break;
      case 'INVERSE_OFFERS':
        this.emit('inverseOffers', event.inverse_offers?.inverse_offers ?? []);
        break;
      case 'RESCIND':
        if (event.rescind !== undefined) this.emit('rescind', event.rescind.offer_id);
        break;
      case 'RESCIND_INVERSE_OFFER':
        if (event.rescind_inverse_offer !== undefined) this.emit('rescindInverseOffer', event.rescind_inverse_offer.inverse_offer_id);
        break;
      case 'UPDATE':
        if (event.update !== undefined) this.emit('update', event.update.status);
        break;
      case 'UPDATE_OPERATION_STATUS':
        if (event.update_operation_status !== undefined) this.emit('operationStatus', event.update_operation_status.status);
        break;
      case 'MESSAGE':
        if (event.message !== undefined) this.emit('message', event.message);
        break;
      case 'FAILURE':
        this.emit('failure', event.failure ?? {});
        break;
      case 'ERROR':
        this.fail(event.error?.message ?? '', true);
        break;
      case 'HEARTBEAT':
        this.emit('heartbeat');
        break;
      default:
        break;
    }
  }

  /** The subscription is lost: drop everything, say so if it had been made, and subscribe again soon. */
  private connectionLost(reason: string): void {
    if (this.currentState === 'STOPPED') return;
    if (this.tearingDown) {
      // The master ends the stream of a framework it tears down, maybe before TEARDOWN's
      // answer is in: leave the calls' connection to bring it, and come back to nothing.
      this.liveness.disarm();
      this.stream?.close();
      this.stream = undefined;
      this.currentState = 'CONNECTING';
      return;
    }
    const wasSubscribed = this.currentState === 'SUBSCRIBED';
    this.dropConnections(new CallError(`Connection to master interrupted: ${reason}`, 'call'));
    this.currentState = 'CONNECTING';
    this.retryTimer = setTimeout(() => this.subscribe(), Math.random() * this.connectionDelayMaxMs);
    if (wasSubscribed) this.emit('disconnected', reason);
  }

  private dropConnections(error: Error): void {
    this.epoch++;
    this.liveness.disarm();
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.stream?.close();
    this.stream = undefined;
    this.subscribeRequest?.destroy();
    this.subscribeRequest = undefined;
    this.currentStreamId = undefined;
    const pending = [...this.pending];
    this.pending.clear();
    for (const call of pending) call.reject(error);
    this.streamAgent.destroy();
    this.callsAgent.destroy();
    this.streamAgent = connectionAgent();
    this.callsAgent = connectionAgent();
  }

  /** The subscription is over for good: stop, then say why. */
  private fail(message: string, fromMaster: boolean): void {
    const waiting = this.currentState !== 'SUBSCRIBED' && this.firstSubscribed !== undefined;
    const error = new SchedulerError(message, fromMaster, true);
    this.firstSubscribed?.reject(error);
    this.stop();
    if (waiting && this.listenerCount('error') === 0) return;
    this.emit('error', error);
  }

  private report(error: SchedulerError): void {
    this.emit('error', error);
  }

  // -------------------------------------------------------------------------
  // Calls.

  /**
   * Sends a call of `type` with `body` as its sub-message (`call('KILL',
   * { task_id: { value: 't' } })`), the framework id and the stream id
   * filled in. Resolves on 202 or 200; rejects with a CallError otherwise,
   * or when not subscribed.
   */
  call(type: CallType, body?: object): Promise<CallResult> {
    if (type === 'SUBSCRIBE') return Promise.reject(new CallError("This method doesn't support SUBSCRIBE calls", type));
    if (this.currentState !== 'SUBSCRIBED' || this.currentStreamId === undefined) {
      return Promise.reject(new CallError(`Cannot perform calls until subscribed. Current state: ${this.currentState}`, type));
    }
    let encoded: Buffer;
    try {
      encoded = encodeCall(this.contentType, makeCall(type, this.frameworkId, body));
    } catch (error) {
      return Promise.reject(new CallError(`Failed to encode ${type}: ${oneLine(error)}`, type));
    }
    const epoch = this.epoch;
    return new Promise<CallResult>((resolve, reject) => {
      const entry: PendingCall = { reject };
      this.pending.add(entry);
      post(this.address, this.callsAgent, this.contentType, encoded, { 'Mesos-Stream-Id': this.currentStreamId }, this.callTimeoutMs).then(
        (answer) => {
          if (!this.pending.delete(entry)) return;
          if (answer.status === 202) return resolve({ status: 202 });
          if (answer.status === 200) {
            if (answer.body.length === 0) return resolve({ status: 200 });
            try {
              return resolve({ status: 200, response: decodeResponse(this.contentType, answer.body) });
            } catch (error) {
              return reject(new CallError(`Failed to deserialize the response '200 ${answer.statusText}': ${oneLine(error)}`, type, 200));
            }
          }
          reject(CallError.unexpected(type, answer.status, answer.statusText, bodyText(answer.body)));
        },
        (error: unknown) => {
          if (!this.pending.delete(entry)) return;
          reject(new CallError(`Connection to master interrupted: ${oneLine(error)}`, type));
          if (epoch === this.epoch) this.connectionLost('Non-subscribe connection interrupted');
        },
      );
    });
  }

  accept(offerIds: readonly Id[], operations: readonly Operation[], filters?: Filters): Promise<CallResult> {
    return this.call('ACCEPT', acceptBody(offerIds, operations, filters));
  }

  /** ACCEPT with one LAUNCH of `taskInfos`. */
  launch(offerIds: readonly Id[], taskInfos: readonly TaskInfo[], filters?: Filters): Promise<CallResult> {
    return this.accept(offerIds, [launchOperation(taskInfos)], filters);
  }

  decline(offerIds: readonly Id[], filters?: Filters): Promise<CallResult> {
    return this.call('DECLINE', declineBody(offerIds, filters));
  }

  /** Clears filters and unsuppresses `roles` (all the framework's when none are given). */
  revive(roles?: readonly string[]): Promise<CallResult> {
    return this.call('REVIVE', rolesBody(roles));
  }

  /** Asks for no more offers for `roles` (all the framework's when none are given). */
  suppress(roles?: readonly string[]): Promise<CallResult> {
    return this.call('SUPPRESS', rolesBody(roles));
  }

  kill(taskId: Id, agentId?: Id, killPolicy?: KillPolicy): Promise<CallResult> {
    return this.call('KILL', killBody(taskId, agentId, killPolicy));
  }

  /** Acknowledges an update; one without a uuid (the master's own) is not, and resolves undefined. */
  acknowledge(status: TaskStatus): Promise<CallResult | undefined> {
    const body = acknowledgeBody(status);
    return body === undefined ? Promise.resolve(undefined) : this.call('ACKNOWLEDGE', body);
  }

  /** Asks for the state of `tasks`, or of every task the master knows when none are given. */
  reconcile(tasks?: ReadonlyArray<ReconcileTask | { task_id: Id; agent_id?: Id }>): Promise<CallResult> {
    return this.call('RECONCILE', reconcileBody(tasks));
  }

  /** Removes the framework; once the master has taken it, the client stops. */
  async teardown(): Promise<CallResult> {
    this.tearingDown = true;
    try {
      const result = await this.call('TEARDOWN');
      this.stop();
      return result;
    } catch (error) {
      this.tearingDown = false;
      // The stream may have ended meanwhile, left for the teardown: it is a lost one after all.
      if (this.currentState === 'CONNECTING' && this.retryTimer === undefined) this.connectionLost('The framework was not torn down');
      throw error;
    }
  }

  shutdown(executorId: Id, agentId: Id): Promise<CallResult> {
    return this.call('SHUTDOWN', shutdownBody(executorId, agentId));
  }

  /** Data for an executor (a string is sent as its UTF-8 bytes). */
  message(agentId: Id, executorId: Id, data: Uint8Array | string): Promise<CallResult> {
    return this.call('MESSAGE', messageBody(agentId, executorId, data));
  }

  request(requests: readonly Request[]): Promise<CallResult> {
    return this.call('REQUEST', requestBody(requests));
  }

  /** Changes the FrameworkInfo (id kept); later resubscriptions send the new one. */
  async updateFramework(framework: FrameworkInfo, suppressedRoles?: readonly string[]): Promise<CallResult> {
    const info: FrameworkInfo = { ...structuredClone(framework), ...(this.framework.id !== undefined ? { id: this.framework.id } : {}) };
    const result = await this.call('UPDATE_FRAMEWORK', updateFrameworkBody(info, suppressedRoles));
    this.framework = info;
    if (suppressedRoles !== undefined) this.suppressedRoles = suppressedRoles;
    return result;
  }
}
