// The scheduler client against our master in JSON: subscribing, offers,
// launches, updates and acknowledgements, kills, reconciliation, declines
// and revives, the other calls, refused calls, teardown and failover.
import t from 'tap';
import { scenarios } from './helpers/scheduler-scenarios';

scenarios(t, 'json');
