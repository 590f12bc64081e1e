// `npm start` (after the build): the companion server on 127.0.0.1:8787,
// serving the CDN build, the demo page at / and the agent console at /agent.
// NATTER_LISTEN overrides the address.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { root, run } from './lib.mjs';

const listen = process.env.NATTER_LISTEN || '127.0.0.1:8787';
run('cargo', ['build', '--profile', 'server', '--locked', '-p', 'natter-server']);

const server = spawn(
  join(root, 'target', 'server', 'natter-server'),
  [
    '--listen',
    listen,
    '--static',
    join(root, 'dist', 'cdn'),
    '--static',
    join(root, 'examples', 'site'),
    '--bot',
    'echo',
  ],
  { cwd: root, stdio: 'inherit' },
);
console.log(`\nDemo page:     http://${listen}/\nAgent console: http://${listen}/agent\n(Ctrl+C stops the server)\n`);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code, signal) => process.exit(signal ? 0 : (code ?? 1)));
