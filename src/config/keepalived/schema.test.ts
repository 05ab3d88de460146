import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allBlocks, TOP } from './schema.js';

/**
 * The keywords of keepalived.conf(5) as shipped with keepalived 2.2.7 (Debian), taken from the
 * man page's syntax lines (words that are only ip-route/ip-rule options are left out: route and
 * rule entries are kept as words). Each must be known to halo: modelled, unsupported or deprecated.
 */
const MAN_PAGE_KEYWORDS = [
  'BFD_CHECK', 'DNS_CHECK', 'FILE_CHECK', 'HTTP_GET', 'MISC_CHECK', 'PING_CHECK', 'SMTP_CHECK', 'SSL',
  'SSL_GET', 'TCP_CHECK', 'UDP_CHECK', 'accept', 'advert_int', 'alpha', 'auth_pass', 'auth_type',
  'authentication', 'bfd_cpu_affinity', 'bfd_instance', 'bfd_no_swap', 'bfd_priority', 'bfd_process_name',
  'bfd_rlimit_rttime', 'bfd_rt_priority', 'bind_if', 'bind_port', 'bindto', 'ca', 'certificate',
  'check_unicast_src', 'checker', 'checker_cpu_affinity', 'checker_log_all_failures', 'checker_no_swap',
  'checker_priority', 'checker_process_name', 'checker_rlimit_rttime', 'checker_rt_priority',
  'child_wait_time', 'config_save_dir', 'connect_ip', 'connect_port', 'connect_timeout', 'data_use_instance',
  'dbus_service_name', 'debug', 'default_interface', 'delay', 'delay_before_retry', 'delay_loop', 'digest',
  'disable_local_igmp', 'dont_track_primary', 'down_timer_adverts', 'dynamic', 'dynamic_interfaces',
  'enable_dbus', 'enable_script_security', 'enable_sni', 'enable_snmp_checker', 'enable_snmp_rfc',
  'enable_snmp_rfcv2', 'enable_snmp_rfcv3', 'enable_snmp_vrrp', 'enable_traps', 'fall', 'fast_recovery',
  'fifo_write_vrrp_states_on_reload', 'file', 'flag-1', 'flag-2', 'flag-3', 'fork_delay', 'full_command',
  'fwmark', 'garp_extra_if', 'garp_group', 'garp_interval', 'garp_lower_prio_delay',
  'garp_lower_prio_repeat', 'garp_master_delay', 'garp_master_refresh', 'garp_master_refresh_repeat',
  'garp_master_repeat', 'global_defs', 'global_tracking', 'gna_interval', 'group', 'ha_suspend', 'helo_name',
  'higher_prio_send_advert', 'hoplimit', 'http_protocol', 'hysteresis', 'idle_tx', 'include_check',
  'includea', 'includeb', 'includem', 'includer', 'includew', 'inhibit_on_failure', 'init_fail', 'init_file',
  'instance', 'interface', 'interface_up_down_delays', 'interfaces', 'interval', 'ip_family',
  'kernel_rx_buf_size', 'key', 'linkbeat_interfaces', 'linkbeat_use_polling', 'log_all_failures',
  'log_unknown_vrids', 'lower_prio_no_advert', 'lthreshold', 'lvs_flush', 'lvs_flush_on_stop', 'lvs_method',
  'lvs_netlink_cmd_rcv_bufs', 'lvs_netlink_cmd_rcv_bufs_force', 'lvs_netlink_monitor_rcv_bufs',
  'lvs_netlink_monitor_rcv_bufs_force', 'lvs_notify_fifo', 'lvs_notify_fifo_script', 'lvs_sched',
  'lvs_sync_daemon', 'lvs_timeouts', 'max_auto_priority', 'max_hops', 'max_reply_length', 'mcast_dst_ip',
  'mcast_src_ip', 'mh-fallback', 'mh-port', 'min_auto_priority_delay', 'min_reply_length', 'min_rx',
  'min_tx', 'misc_dynamic', 'misc_path', 'misc_timeout', 'multiplier', 'name', 'namespace_with_ipsets',
  'native_ipv6', 'neighbor_ip', 'net_namespace', 'net_namespace_ipvs', 'nftables', 'nftables_counters',
  'nftables_ifindex', 'nftables_ipvs', 'nftables_ipvs_priority', 'nftables_ipvs_start_fwmark',
  'nftables_priority', 'no_accept', 'no_checker_emails', 'no_email_faults', 'nopreempt',
  'notification_email', 'notification_email_from', 'notify', 'notify_backup', 'notify_deleted',
  'notify_down', 'notify_fault', 'notify_fifo', 'notify_fifo_script', 'notify_master',
  'notify_master_rx_lower_pri', 'notify_priority_changes', 'notify_stop', 'notify_up',
  'old_unicast_checksum', 'omega', 'ops', 'param_match', 'passive', 'password', 'path', 'payload',
  'persistence_engine', 'persistence_granularity', 'persistence_timeout', 'preempt', 'preempt_delay',
  'priority', 'process', 'process_monitor_rcv_bufs', 'process_monitor_rcv_bufs_force', 'process_name',
  'process_names', 'promote_secondaries', 'protocol', 'quorum', 'quorum_down', 'quorum_max', 'quorum_up',
  'random_seed', 'real_server', 'regex', 'regex_max_offset', 'regex_min_offset', 'regex_no_match',
  'regex_options', 'regex_stack', 'reload_check_config', 'reload_file', 'reload_repeat', 'reload_time_file',
  'require_reply', 'retry', 'rise', 'router_id', 'rs_init_notifies', 'script', 'script_user', 'sh-fallback',
  'sh-port', 'shutdown_script', 'shutdown_script_timeout', 'skip_check_adv_addr', 'smtp_alert',
  'smtp_alert_checker', 'smtp_alert_vrrp', 'smtp_connect_timeout', 'smtp_helo_name', 'smtp_server',
  'snmp_name', 'snmp_socket', 'sorry_server', 'sorry_server_inhibit', 'sorry_server_lvs_method', 'source_ip',
  'startup_script', 'startup_script_timeout', 'state', 'static_ipaddress', 'static_routes', 'static_rules',
  'status_code', 'strict_mode', 'sync_group_tracking_weight', 'terminate_delay', 'timeout',
  'tmp_config_directory', 'track_bfd', 'track_file', 'track_group', 'track_interface', 'track_process',
  'track_script', 'track_src_ip', 'ttl', 'type', 'umask', 'unicast_fault_no_peer', 'unicast_peer',
  'unicast_src_ip', 'unicast_ttl', 'url', 'use_ipvlan', 'use_pid_dir', 'use_vmac', 'use_vmac_addr', 'user',
  'uthreshold', 'version', 'virtual_ipaddress', 'virtual_ipaddress_excluded', 'virtual_router_id',
  'virtual_routes', 'virtual_rules', 'virtual_server', 'virtual_server_group', 'virtualhost',
  'vmac_addr_prefix', 'vmac_prefix', 'vmac_xmit_base', 'vrf', 'vrrp', 'vrrp_check_unicast_src',
  'vrrp_cpu_affinity', 'vrrp_down_timer_adverts', 'vrrp_garp_extra_if', 'vrrp_garp_interval',
  'vrrp_garp_lower_prio_delay', 'vrrp_garp_lower_prio_repeat', 'vrrp_garp_master_delay',
  'vrrp_garp_master_refresh', 'vrrp_garp_master_refresh_repeat', 'vrrp_garp_master_repeat',
  'vrrp_gna_interval', 'vrrp_higher_prio_send_advert', 'vrrp_instance', 'vrrp_ipsets', 'vrrp_iptables',
  'vrrp_lower_prio_no_advert', 'vrrp_mcast_group4', 'vrrp_mcast_group6', 'vrrp_min_garp',
  'vrrp_netlink_cmd_rcv_bufs', 'vrrp_netlink_cmd_rcv_bufs_force', 'vrrp_netlink_monitor_rcv_bufs',
  'vrrp_netlink_monitor_rcv_bufs_force', 'vrrp_no_swap', 'vrrp_notify_fifo', 'vrrp_notify_fifo_script',
  'vrrp_notify_priority_changes', 'vrrp_priority', 'vrrp_process_name', 'vrrp_rlimit_rttime',
  'vrrp_rt_priority', 'vrrp_rx_bufs_multiplier', 'vrrp_rx_bufs_policy', 'vrrp_script',
  'vrrp_skip_check_adv_addr', 'vrrp_startup_delay', 'vrrp_strict', 'vrrp_sync_group', 'vrrp_track_process',
  'vrrp_version', 'warmup', 'weight',
];

function known(): Set<string> {
  const all = new Set<string>();
  for (const b of allBlocks()) for (const k of Object.keys(b.keywords)) all.add(k);
  return all;
}

test('every keyword of the keepalived.conf(5) man page is recognised', () => {
  const all = known();
  assert.deepEqual(MAN_PAGE_KEYWORDS.filter((k) => !all.has(k)), []);
});

test('every keyword is modelled with an apply, or unsupported with a reason, or deprecated with a replacement', () => {
  for (const b of allBlocks()) {
    for (const [kw, d] of Object.entries(b.keywords)) {
      if (d.status === 'modelled') assert.ok(d.apply !== undefined, `${b.id}/${kw} is modelled but has no apply`);
      if (d.status === 'unsupported') assert.ok((d.note ?? '').length > 10, `${b.id}/${kw} says not why it is unsupported`);
      if (d.status === 'deprecated') assert.ok(d.replacement !== undefined && d.apply !== undefined, `${b.id}/${kw} has no replacement`);
      assert.ok(d.min <= d.max, `${b.id}/${kw}: min > max`);
    }
  }
});

test('the synonyms the issue names are there', () => {
  const vs = TOP.keywords['virtual_server']?.block;
  assert.equal(vs?.keywords['lb_algo']?.synonymOf, 'lvs_sched');
  assert.equal(vs?.keywords['lb_kind']?.synonymOf, 'lvs_method');
  const tcp = vs?.keywords['real_server']?.block?.keywords['TCP_CHECK']?.block;
  assert.equal(tcp?.keywords['nb_get_retry']?.status, 'deprecated');
  assert.equal(tcp?.keywords['nb_get_retry']?.replacement, 'retry');
  assert.ok(tcp?.keywords['delay_before_retry'] !== undefined);
});
