// The same scenarios as test/scheduler.test.ts with protobuf bodies and a
// protobuf stream. They need a master that reads protobuf Calls and
// writes protobuf Events.
import t from 'tap';
import { scenarios } from './helpers/scheduler-scenarios';

scenarios(t, 'protobuf');
