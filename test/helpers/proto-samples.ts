// One Call of every type and one Event of every type, as JSON text a
// scheduler or a master would send, for the protobuf layer's tests. Each
// sets the message its type names and a few fields of every kind: 64-bit
// integers past 2^53, doubles, bytes, enums, repeated fields and a map.

const F = '{"value":"0a1b2c3d-0000-4000-8000-000000000000-0000"}';
const AGENT = '{"value":"0a1b2c3d-0000-4000-8000-000000000000-S0"}';
const TASK = '{"value":"task-1"}';
const EXECUTOR = '{"value":"executor-1"}';
const UUID = '"ASNFZ4mrze8BI0VniavN7w=="';
const FRAMEWORK_INFO =
  '{"user":"root","name":"mesos-execute instance","id":' + F + ',"failover_timeout":604800.0,' +
  '"checkpoint":true,"roles":["*","dev"],"hostname":"h","principal":"p",' +
  '"capabilities":[{"type":"MULTI_ROLE"},{"type":"PARTITION_AWARE"},{"type":"RESERVATION_REFINEMENT"}],' +
  '"labels":{"labels":[{"key":"k","value":"v"}]},' +
  '"offer_filters":{"dev":{"min_allocatable_resources":{"quantities":[{"quantities":{"cpus":{"value":0.5}}}]}}}}';
const RESOURCES =
  '[{"name":"cpus","type":"SCALAR","scalar":{"value":1.5}},{"name":"mem","type":"SCALAR","scalar":{"value":128.0}},' +
  '{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":31000,"end":32000}]}},' +
  '{"name":"disk","type":"SCALAR","scalar":{"value":1024.0},"reservations":[{"type":"DYNAMIC","role":"dev","principal":"p"}],' +
  '"disk":{"persistence":{"id":"v1","principal":"p"},"volume":{"container_path":"data","mode":"RW"}}}]';
const TASK_INFO =
  '{"name":"demo","task_id":' + TASK + ',"agent_id":' + AGENT + ',"resources":' + RESOURCES + ',' +
  '"command":{"shell":true,"value":"echo hi","environment":{"variables":[{"name":"A","value":"b"}]},' +
  '"uris":[{"value":"http://example.com/a.tgz","extract":true}]},' +
  '"container":{"type":"MESOS","mesos":{"image":{"type":"DOCKER","docker":{"name":"busybox"}}},' +
  '"linux_info":{"effective_capabilities":{"capabilities":["NET_RAW"]}},"rlimit_info":{"rlimits":[{"type":"RLMT_NOFILE","hard":18446744073709551615,"soft":1024}]},' +
  '"volumes":[{"container_path":"/data","mode":"RO","host_path":"/srv"}],"network_infos":[{"name":"net","port_mappings":[{"host_port":8080,"container_port":80}]}]},' +
  '"kill_policy":{"grace_period":{"nanoseconds":9007199254740993}},"data":"AAEC/w==",' +
  '"health_check":{"type":"COMMAND","command":{"value":"true"}},"check":{"type":"TCP","tcp":{"port":80}},' +
  '"discovery":{"visibility":"FRAMEWORK","ports":{"ports":[{"number":80,"protocol":"tcp"}]}},' +
  '"labels":{"labels":[{"key":"x"}]},"limits":{"cpus":{"value":2.0}}}';
const OFFER =
  '{"id":{"value":"O0"},"framework_id":' + F + ',"agent_id":' + AGENT + ',"hostname":"agent.example",' +
  '"url":{"scheme":"http","address":{"hostname":"agent.example","ip":"127.0.0.1","port":5051},"path":"/slave(1)"},' +
  '"resources":' + RESOURCES + ',"attributes":[{"name":"rack","type":"TEXT","text":{"value":"r1"}}],' +
  '"allocation_info":{"role":"dev"}}';
const FILTERS = '{"refuse_seconds":5.0}';
const STATUS =
  '{"task_id":' + TASK + ',"state":"TASK_FAILED","message":"Command exited with status 3","source":"SOURCE_EXECUTOR",' +
  '"reason":"REASON_COMMAND_EXECUTOR_FAILED","data":"AA==","agent_id":' + AGENT + ',"executor_id":' + EXECUTOR + ',' +
  '"timestamp":1724428740.52,"uuid":' + UUID + ',"healthy":false,' +
  '"container_status":{"container_id":{"value":"c1","parent":{"value":"c0"}},"executor_pid":4242,' +
  '"network_infos":[{"ip_addresses":[{"protocol":"IPv4","ip_address":"10.0.0.2"}]}],' +
  '"cgroup_info":{"net_cls":{"classid":65537}}},' +
  '"labels":{"labels":[{"key":"a","value":"b"}]}}';

export const CALLS: Record<string, string> = {
  SUBSCRIBE: '{"type":"SUBSCRIBE","framework_id":' + F + ',"subscribe":{"framework_info":' + FRAMEWORK_INFO + ',"suppressed_roles":["dev"]}}',
  TEARDOWN: '{"type":"TEARDOWN","framework_id":' + F + '}',
  ACCEPT:
    '{"type":"ACCEPT","framework_id":' + F + ',"accept":{"offer_ids":[{"value":"O0"},{"value":"O1"}],' +
    '"operations":[{"type":"LAUNCH","launch":{"task_infos":[' + TASK_INFO + ']}},' +
    '{"type":"RESERVE","id":{"value":"op1"},"reserve":{"resources":' + RESOURCES + '}},' +
    '{"type":"LAUNCH_GROUP","launch_group":{"executor":{"type":"DEFAULT","executor_id":' + EXECUTOR + ',"resources":' + RESOURCES + '},' +
    '"task_group":{"tasks":[' + TASK_INFO + ']}}},' +
    '{"type":"CREATE_DISK","create_disk":{"source":{"name":"disk","type":"SCALAR","scalar":{"value":1.0}},"target_type":"MOUNT"}}],' +
    '"filters":' + FILTERS + '}}',
  DECLINE: '{"type":"DECLINE","framework_id":' + F + ',"decline":{"offer_ids":[{"value":"O0"}],"filters":{"refuse_seconds":31536000.0}}}',
  ACCEPT_INVERSE_OFFERS:
    '{"type":"ACCEPT_INVERSE_OFFERS","framework_id":' + F + ',"accept_inverse_offers":{"inverse_offer_ids":[{"value":"I0"}],"filters":' + FILTERS + '}}',
  DECLINE_INVERSE_OFFERS:
    '{"type":"DECLINE_INVERSE_OFFERS","framework_id":' + F + ',"decline_inverse_offers":{"inverse_offer_ids":[{"value":"I0"}]}}',
  REVIVE: '{"type":"REVIVE","framework_id":' + F + ',"revive":{"roles":["*"]}}',
  KILL:
    '{"type":"KILL","framework_id":' + F + ',"kill":{"task_id":' + TASK + ',"agent_id":' + AGENT + ',' +
    '"kill_policy":{"grace_period":{"nanoseconds":-9223372036854775808}}}}',
  SHUTDOWN: '{"type":"SHUTDOWN","framework_id":' + F + ',"shutdown":{"executor_id":' + EXECUTOR + ',"agent_id":' + AGENT + '}}',
  ACKNOWLEDGE: '{"type":"ACKNOWLEDGE","framework_id":' + F + ',"acknowledge":{"agent_id":' + AGENT + ',"task_id":' + TASK + ',"uuid":' + UUID + '}}',
  ACKNOWLEDGE_OPERATION_STATUS:
    '{"type":"ACKNOWLEDGE_OPERATION_STATUS","framework_id":' + F + ',"acknowledge_operation_status":{"agent_id":' + AGENT + ',' +
    '"resource_provider_id":{"value":"rp"},"uuid":' + UUID + ',"operation_id":{"value":"op1"}}}',
  RECONCILE: '{"type":"RECONCILE","framework_id":' + F + ',"reconcile":{"tasks":[{"task_id":' + TASK + ',"agent_id":' + AGENT + '},{"task_id":{"value":"t2"}}]}}',
  RECONCILE_OPERATIONS:
    '{"type":"RECONCILE_OPERATIONS","framework_id":' + F + ',"reconcile_operations":{"operations":[{"operation_id":{"value":"op1"},"agent_id":' + AGENT + '}]}}',
  MESSAGE: '{"type":"MESSAGE","framework_id":' + F + ',"message":{"agent_id":' + AGENT + ',"executor_id":' + EXECUTOR + ',"data":"aGVsbG8="}}',
  REQUEST: '{"type":"REQUEST","framework_id":' + F + ',"request":{"requests":[{"agent_id":' + AGENT + ',"resources":' + RESOURCES + '}]}}',
  SUPPRESS: '{"type":"SUPPRESS","framework_id":' + F + ',"suppress":{"roles":["dev","*"]}}',
  UPDATE_FRAMEWORK:
    '{"type":"UPDATE_FRAMEWORK","framework_id":' + F + ',"update_framework":{"framework_info":' + FRAMEWORK_INFO + ',"suppressed_roles":[]}}',
};

export const EVENTS: Record<string, string> = {
  SUBSCRIBED:
    '{"type":"SUBSCRIBED","subscribed":{"framework_id":' + F + ',"heartbeat_interval_seconds":15.0,' +
    '"master_info":{"id":"0a1b2c3d-0000-4000-8000-000000000000","ip":16777343,"port":5050,"pid":"master@127.0.0.1:5050",' +
    '"hostname":"h","version":"1.12.0","address":{"hostname":"h","ip":"127.0.0.1","port":5050},' +
    '"capabilities":[{"type":"AGENT_UPDATE"}],"domain":{"fault_domain":{"region":{"name":"r"},"zone":{"name":"z"}}}}}}',
  OFFERS: '{"type":"OFFERS","offers":{"offers":[' + OFFER + ',' + OFFER + ']}}',
  INVERSE_OFFERS:
    '{"type":"INVERSE_OFFERS","inverse_offers":{"inverse_offers":[{"id":{"value":"I0"},"framework_id":' + F + ',' +
    '"agent_id":' + AGENT + ',"unavailability":{"start":{"nanoseconds":1724428740520000000},"duration":{"nanoseconds":3600000000000}},' +
    '"resources":' + RESOURCES + '}]}}',
  RESCIND: '{"type":"RESCIND","rescind":{"offer_id":{"value":"O0"}}}',
  RESCIND_INVERSE_OFFER: '{"type":"RESCIND_INVERSE_OFFER","rescind_inverse_offer":{"inverse_offer_id":{"value":"I0"}}}',
  UPDATE: '{"type":"UPDATE","update":{"status":' + STATUS + '}}',
  UPDATE_OPERATION_STATUS:
    '{"type":"UPDATE_OPERATION_STATUS","update_operation_status":{"status":{"operation_id":{"value":"op1"},' +
    '"state":"OPERATION_FINISHED","uuid":{"value":' + UUID + '},"agent_id":' + AGENT + ',"converted_resources":' + RESOURCES + '}}}',
  MESSAGE: '{"type":"MESSAGE","message":{"agent_id":' + AGENT + ',"executor_id":' + EXECUTOR + ',"data":"aGVsbG8="}}',
  FAILURE: '{"type":"FAILURE","failure":{"agent_id":' + AGENT + ',"executor_id":' + EXECUTOR + ',"status":-9}}',
  ERROR: '{"type":"ERROR","error":{"message":"Framework failed over"}}',
  HEARTBEAT: '{"type":"HEARTBEAT"}',
};
