// The public API commands, in one place for the CDN stub, the npm entry and
// the type declarations' tests.
export const COMMANDS = [
  'init',
  'identify',
  'open',
  'close',
  'toggle',
  'sendMessage',
  'setLocale',
  'showLauncher',
  'hideLauncher',
  'on',
  'once',
  'off',
  'shutdown',
  'endChat',
  'getState',
];
