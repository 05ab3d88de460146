/**
 * The services halo serves, from every place they can be written: a keepalived.conf's
 * virtual_servers, the nginx.conf files it names with `include_nginx`, and a `--nginx` file,
 * merged into one set of services and pools. `halo run` (at start and at each reload) and
 * `halo serve` both use it, so both serve the same thing from the same files.
 */
import type { KeepalivedModel } from '../config/keepalived/model.js';
import { loadNginxConfig } from '../config/nginx/load.js';
import { hasErrors, type Diagnostic } from '../core/diagnostic.js';
import { fileConfigSource } from './config-source.js';
import { mergeServices } from './proxy-plane.js';
import { servicesFromKeepalived } from './services-from-keepalived.js';
import { servicesFromNginx, type MappedServices } from './services-from-nginx.js';

export interface ShownDiagnostic {
  readonly d: Diagnostic;
  /** The files the diagnostic may quote (empty when it has no position). */
  readonly files: ReadonlyMap<string, string>;
}

export interface Served {
  readonly mapped: MappedServices;
  /** Mapping diagnostics (and the `--nginx` file's load diagnostics), in order. */
  readonly shown: ShownDiagnostic[];
  readonly errors: boolean;
}

export interface ServedSources {
  /** A loaded keepalived.conf (its own load diagnostics are the caller's to show). */
  readonly keepalived?: { readonly model: KeepalivedModel; readonly files: ReadonlyMap<string, string> };
  /** `--nginx FILE`, read here. */
  readonly nginxFile?: string;
}

export function servedServices(src: ServedSources): Served {
  const parts: MappedServices[] = [];
  const shown: ShownDiagnostic[] = [];
  let errors = false;
  if (src.keepalived !== undefined) {
    const { model, files } = src.keepalived;
    const k = servicesFromKeepalived(model);
    for (const d of k.diagnostics) shown.push({ d, files });
    parts.push({ ...k, diagnostics: [] });
    // `include_nginx FILE`: read by the keepalived load (its diagnostics came with it), served as
    // `--nginx FILE` would be.
    for (const inc of model.nginxIncludes ?? []) {
      if (inc.model === undefined) continue;
      const n = servicesFromNginx(inc.model);
      for (const d of n.diagnostics) shown.push({ d, files });
      parts.push({ ...n, diagnostics: [] });
    }
  }
  if (src.nginxFile !== undefined) {
    const r = loadNginxConfig(src.nginxFile, fileConfigSource());
    const m = servicesFromNginx(r.model);
    for (const d of [...r.diagnostics, ...m.diagnostics]) shown.push({ d, files: r.files });
    errors ||= hasErrors(r.diagnostics);
    parts.push({ ...m, diagnostics: [] });
  }
  const merged = mergeServices(parts);
  for (const d of merged.diagnostics) shown.push({ d, files: new Map() });
  errors ||= shown.some((s) => s.d.severity === 'error');
  return { mapped: merged, shown, errors };
}
