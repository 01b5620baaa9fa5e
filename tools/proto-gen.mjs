#!/usr/bin/env node
// Regenerates the TypeScript contracts from proto/ with buf + protoc-gen-es.
//   node tools/proto-gen.mjs              -> writes libs/contracts/src/gen
//   node tools/proto-gen.mjs --out DIR    -> writes DIR/gen (used by the up-to-date test)
import { execFileSync } from 'node:child_process';
import { rmSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outFlag = process.argv.indexOf('--out');
const outBase = outFlag > 0 ? resolve(process.argv[outFlag + 1]) : join(root, 'libs/contracts/src');

rmSync(join(outBase, 'gen'), { recursive: true, force: true });
mkdirSync(outBase, { recursive: true });
const bin = join(root, 'node_modules/.bin');
execFileSync(join(bin, 'buf'), ['generate', 'proto', '--template', 'proto/buf.gen.yaml', '--output', outBase], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
});
