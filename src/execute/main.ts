import { complain } from '../subcommand/output';

complain('mesos-execute: not implemented yet');
process.exit(1);
