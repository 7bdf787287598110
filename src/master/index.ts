// Starting and stopping a master:
//
//   const master = await startMaster({ ip: '127.0.0.1', port: 5050, hostname: 'localhost' });
//   const link = master.addAgent({ hostname: 'localhost', resources: parseResourceText('cpus:4;mem:4096') }, agent);
//   ...
//   await master.stop();
//
// `port: 0` takes a free port; `url` says which.
import type { AddressInfo, Socket } from 'node:net';
import { registerAgent } from './agent-link';
import type { Agent, AgentLink, AgentRegistration } from './agents';
import { Master, type MasterOptions } from './master';
import { createMasterServer, DEFAULT_MAX_BODY_BYTES } from './http/server';

export type { Agent, AgentLink, AgentRegistration, AgentStatusUpdate } from './agents';
export { parseResourceText } from './resource-text';
export { Master } from './master';

export interface StartOptions extends Omit<MasterOptions, 'port'> {
  /** Default 5050; 0 for any free port. */
  readonly port?: number;
  /** The largest request body taken (default 8 MiB); larger ones get 413. */
  readonly maxBodyBytes?: number;
}

export interface RunningMaster {
  /** "http://<ip>:<port>" */
  readonly url: string;
  readonly masterId: string;
  readonly port: number;
  /** The state machine, for embedding and tests. */
  readonly master: Master;
  addAgent(registration: AgentRegistration, agent: Agent): AgentLink;
  /** Ends every stream, stops every timer, closes every connection and the port. */
  stop(): Promise<void>;
}

export async function startMaster(options: StartOptions): Promise<RunningMaster> {
  const requested = options.port ?? 5050;
  // The port is in MasterInfo, so the server listens first and the master is made for the port it got.
  let master: Master | undefined;
  const server = createMasterServer(() => master!, options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(requested, options.ip, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  master = new Master({ ...options, port });
  master.start();
  const running = master;
  let stopping: Promise<void> | undefined;

  return {
    url: `http://${options.ip}:${port}`,
    masterId: running.info.id,
    port,
    master: running,
    addAgent: (registration, agent) => registerAgent(running, registration, agent),
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        running.stop();
        server.close(() => resolve());
        // Streams have just been ended: let their last bytes go, then cut what is left.
        for (const socket of sockets) {
          socket.end();
          setTimeout(() => socket.destroy(), 200).unref();
        }
      });
      return stopping;
    },
  };
}
