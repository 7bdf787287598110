// The agent's UUIDs (containers, status updates): ../subcommand/uuid.ts.
export { randomUuid, randomUuidBytes, statusUpdateUuid } from '../subcommand/uuid';
