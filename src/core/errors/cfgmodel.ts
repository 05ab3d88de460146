import type { ErrorTable } from './types.js';

/**
 * keepalived.conf meaning: keywords, values and the checks across sections. The syntax codes
 * (strings, braces, include, macros) live in cfg.ts.
 */
export const CFG_MODEL_ERRORS = {
  HALO_CFG_UNKNOWN_KEYWORD: {
    summary: 'A keyword is not valid in this block',
    help: 'Check the spelling against docs/keepalived-compat.md; the message names the block and, when one is close, the keyword you probably meant.',
    exitCode: 5,
  },
  HALO_CFG_MISPLACED_KEYWORD: {
    summary: 'A keyword is valid in keepalived.conf but not in this block',
    help: 'Move the statement into the block the hint names (for example `real_server` belongs inside a `virtual_server`).',
    exitCode: 5,
  },
  HALO_CFG_NOT_SUPPORTED: {
    summary: 'A keepalived keyword is recognised but halo does not implement it',
    help: 'The statement is read and ignored. docs/keepalived-compat.md says why and what to use instead.',
  },
  HALO_CFG_DEPRECATED: {
    summary: 'A deprecated keepalived keyword was read as its replacement',
    help: 'Use the keyword the message names; the old spelling may stop working.',
  },
  HALO_CFG_BAD_VALUE: {
    summary: 'A value does not have the type the keyword needs',
    help: 'The message names the expected form (BOOL, TIMER in decimal seconds, integer, IP address, one of a list).',
    exitCode: 5,
  },
  HALO_CFG_OUT_OF_RANGE: {
    summary: 'A number is outside the range the keyword allows',
    help: 'Use a value inside the range the message names.',
    exitCode: 5,
  },
  HALO_CFG_MISSING_VALUE: {
    summary: 'A keyword needs a value or a block that is not there',
    help: 'Add the value (or the `{ ... }` block) after the keyword.',
    exitCode: 5,
  },
  HALO_CFG_EXTRA_VALUE: {
    summary: 'A keyword has more words than it takes',
    help: 'The extra words are ignored. A missing line break is a common cause: put each statement on its own line.',
  },
  HALO_CFG_MISSING_KEYWORD: {
    summary: 'A block lacks a keyword it needs',
    help: 'Add the keyword the message names (for example `virtual_router_id` in a `vrrp_instance`).',
    exitCode: 5,
  },
  HALO_CFG_DEFAULTED: {
    summary: 'A missing or unrecognised setting was replaced by keepalived\'s default',
    help: 'halo does what keepalived does here; write the setting explicitly to silence the warning.',
  },
  HALO_CFG_TRUNCATED: {
    summary: 'A value was cut to the length keepalived uses',
    help: 'keepalived uses only the first characters (for example 8 for `auth_pass`); shorten the value so that all peers agree on what it is.',
  },
  HALO_CFG_ROUNDED: {
    summary: 'A timer was rounded to the resolution the protocol carries',
    help: 'VRRPv2 advertises whole seconds and VRRPv3 centiseconds; write a value the protocol can carry.',
  },
  HALO_CFG_UNKNOWN_REFERENCE: {
    summary: 'A name refers to something that is not defined',
    help: 'Define the named `vrrp_script`, `vrrp_instance`, `virtual_server_group`, `track_file`, ... or fix the name.',
    exitCode: 5,
  },
  HALO_CFG_DUPLICATE_NAME: {
    summary: 'Two blocks of the same kind have the same name',
    help: 'Rename one of them; later references could not tell them apart.',
    exitCode: 5,
  },
  HALO_CFG_DUPLICATE_VRID: {
    summary: 'Two VRRP instances use the same VRID on one interface and address family',
    help: 'Each instance on an interface needs its own `virtual_router_id` per address family (unless they use different unicast peers or multicast groups).',
    exitCode: 5,
  },
  HALO_CFG_MIXED_FAMILIES: {
    summary: 'IPv4 and IPv6 addresses are mixed where one family is required',
    help: 'All `virtual_ipaddress` entries of an instance share one family; put the others in `virtual_ipaddress_excluded` or in another instance.',
    exitCode: 5,
  },
  HALO_CFG_STRICT_VIOLATION: {
    summary: 'A setting is not allowed with vrrp_strict',
    help: 'With `vrrp_strict` (or `strict_mode`) the instance must follow RFC 5798 exactly; remove the setting or strict mode.',
    exitCode: 5,
  },
  HALO_CFG_CONFLICT: {
    summary: 'Two settings contradict each other',
    help: 'The message names both; keep the one you mean.',
  },
} as const satisfies ErrorTable;
