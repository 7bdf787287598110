// How a call fails: the master's answer was not 202 or 200, the call
// could not be sent, or the client was not in a state to send it. One
// line, in the words of Mesos's client ("Received unexpected '400 Bad
// Request' (Framework cannot be found) for ACCEPT").
import { oneLine } from '../proto/errors';

export class CallError extends Error {
  override readonly name = 'CallError';

  constructor(
    message: string,
    /** The call's type, e.g. "ACCEPT". */
    readonly callType: string,
    /** The master's status code, when it answered. */
    readonly status?: number,
    /** The master's body, when it answered. */
    readonly body?: string,
  ) {
    super(oneLine(message));
  }

  /** An answer other than 202 or 200. */
  static unexpected(callType: string, status: number, statusText: string, body: string): CallError {
    return new CallError(`Received unexpected '${status} ${statusText}' (${body}) for ${callType}`, callType, status, body);
  }
}
