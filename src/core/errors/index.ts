/**
 * The error catalog. Each area keeps its codes in its own file so that areas grow apart without
 * touching each other; this file joins them. docs/errors.md is generated from it
 * (`npm run gen:errors`) and a test keeps the two equal in both directions.
 */
import { CFG_ERRORS } from './cfg.js';
import { CHECK_ERRORS } from './check.js';
import { GENERAL_ERRORS } from './general.js';
import { CFG_MODEL_ERRORS } from './cfgmodel.js';
import { BALANCE_ERRORS } from './balance.js';
import { NGINX_ERRORS } from './nginx.js';
import { NET_ERRORS } from './net.js';
import { VRRPSIM_ERRORS } from './vrrpsim.js';
import { DAEMON_ERRORS } from './daemon.js';
import { SERVICES_ERRORS } from './services.js';
import { PROXY_ERRORS } from './proxy.js';
import { NOTIFY_ERRORS } from './notify.js';
import { TRACK_ERRORS } from './track.js';
import { DATAPLANE_ERRORS } from './dataplane.js';
import { CTL_ERRORS } from './ctl.js';
import { RELOAD_ERRORS } from './reload.js';
import { BFD_ERRORS } from './bfd.js';
import { RELAY_ERRORS } from './relay.js';
import type { ErrorDef } from './types.js';

export type { ErrorDef, ErrorTable } from './types.js';

export const ERROR_CATALOG = {
  ...GENERAL_ERRORS,
  ...CFG_ERRORS,
  ...CFG_MODEL_ERRORS,
  ...BALANCE_ERRORS,
  ...NGINX_ERRORS,
  ...NET_ERRORS,
  ...CHECK_ERRORS,
  ...VRRPSIM_ERRORS,
  ...DAEMON_ERRORS,
  ...SERVICES_ERRORS,
  ...PROXY_ERRORS,
  ...TRACK_ERRORS,
  ...NOTIFY_ERRORS,
  ...DATAPLANE_ERRORS,
  ...CTL_ERRORS,
  ...RELOAD_ERRORS,
  ...BFD_ERRORS,
  ...RELAY_ERRORS,
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOG;

export function errorDef(code: ErrorCode): ErrorDef {
  return ERROR_CATALOG[code];
}

/** An error that carries a catalogued code. Thrown only by shell code; pure code returns results. */
export class HaloError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HaloError';
    this.code = code;
  }
}
