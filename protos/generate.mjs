// Regenerates the TypeScript types for the .proto files with @grpc/proto-loader's generator, then adds the `.js`
// extensions that ESM (NodeNext) resolution requires on relative imports.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'extproc/src/grpc/gen');
rmSync(outDir, { recursive: true, force: true });
execFileSync(
  join(root, 'node_modules/.bin/proto-loader-gen-types'),
  [
    '--keepCase',
    '--longs',
    'Number',
    '--enums',
    'String',
    '--oneofs',
    '--arrays',
    '--grpcLib',
    '@grpc/grpc-js',
    '-I',
    'protos',
    '-O',
    outDir,
    'envoy/service/ext_proc/v3/external_processor.proto',
    'grpc/health/v1/health.proto',
  ],
  { cwd: root, stdio: 'inherit' },
);

const walk = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
for (const file of walk(outDir)) {
  const text = readFileSync(file, 'utf8').replace(/(from '\.{1,2}\/[^']+?)(?<!\.js)'/g, "$1.js'");
  writeFileSync(file, text);
}
