#!/usr/bin/env node
// Builds halo's Node-API addon (native/) with node-gyp; `npm ci` runs this as the install script.
// node-gyp needs Node's headers. Distribution builds of Node (Debian's nodejs) ship them under
// /usr/include/node, and the machines' npm config says so (nodedir=/usr); when nothing says where
// they are and that directory exists, this script passes it, so the build never has to download
// headers. The addon uses Node-API only, so the one build serves every Node version from 20 on.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = ['rebuild', '--directory', join(root, 'native')];
if (!process.env.npm_config_nodedir && existsSync('/usr/include/node/node_api.h')) args.push('--nodedir=/usr');

// npm names its bundled node-gyp in npm_config_node_gyp for lifecycle scripts; run by hand, the
// copy bundled with the npm beside this node is used, then any node-gyp on PATH.
const bundled = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
const gyp = process.env.npm_config_node_gyp ?? (existsSync(bundled) ? bundled : undefined);
const r = gyp
  ? spawnSync(process.execPath, [gyp, ...args], { stdio: 'inherit' })
  : spawnSync('node-gyp', args, { stdio: 'inherit' });
if (r.error) {
  console.error(`Cannot build the native addon: ${r.error.message} (needs node-gyp, python3, make and a C compiler)`);
  process.exit(1);
}
process.exit(r.status ?? 1);
