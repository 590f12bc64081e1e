// Every public API, as a TypeScript app uses it: must pass `tsc --strict`.
import Natter, {
  close,
  identify,
  init,
  off,
  on,
  once,
  open,
  sendMessage,
  setLocale,
  showLauncher,
  hideLauncher,
  shutdown,
  toggle,
  version,
  type ChatMessage,
  type IdentifyProfile,
  type InitConfig,
  type NatterGlobal,
  type NatterInitError,
  type WidgetError,
  type WidgetEvent,
} from 'natter-widget';

const config: InitConfig = {
  appKey: 'sk_demo',
  apiBase: 'https://chat.example.com',
  wsBase: 'wss://chat.example.com',
  externalUserId: 'u_42',
  nickname: 'Alex',
  avatar: 'https://example.com/a.png',
  email: 'alex@example.com',
  phone: '+1 555 0100',
  extra: { plan: 'pro', orders: 3 },
  userHash: 'ab12',
  identityToken: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1XzQyIn0.c2ln',
  fingerprint: false,
  locale: 'zh-CN',
  theme: 'auto',
  position: 'bl',
  defaultOpen: true,
  zIndex: 1000,
  mock: true,
  primaryColor: '#f43f5e',
  primaryColorAccent: '#ff4769',
  offsetX: 32,
  offsetY: 32,
  panelWidth: 420,
  panelHeight: 640,
  panelRadius: 20,
  buttonSize: 60,
  buttonShape: 'pill',
  buttonLabel: 'Chat with us',
  buttonIcon: '<svg viewBox="0 0 24 24"></svg>',
  headerTitle: 'Support',
  headerSubtitle: 'Replies in minutes',
  headerBackground: 'linear-gradient(#000, #333)',
  backgroundImage: 'https://example.com/bg.jpg',
  launcher: 'whenConversation',
  keepOpen: false,
  sound: false,
  titleFlash: false,
  preview: false,
  wasmUrl: new URL('https://cdn.example.com/natter.wasm'),
  onReady: ({ version }) => console.log(version),
  onMessage: (m) => console.log(m.text),
  onConnection: ({ state }) => console.log(state),
};

export async function main(): Promise<string> {
  try {
    await init(config);
  } catch (err) {
    const failure = err as NatterInitError;
    return failure.code;
  }
  await Natter.init({ appKey: 'sk_demo', wasmUrl: '/natter.wasm' });
  const login: IdentifyProfile = { externalUserId: 'u_42', nickname: 'Alex', extra: '{"plan":"pro"}' };
  identify(login);
  identify({ externalUserId: 'u_42', identityToken: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1XzQyIn0.c2ln' });
  identify({ externalUserId: null });
  open();
  open({ prefill: 'About my order' });
  close();
  toggle();
  sendMessage('Hello');
  setLocale('en-US');
  hideLauncher();
  showLauncher();
  const texts: string[] = [];
  const onMessage = (m: ChatMessage) => texts.push(`${m.from}: ${m.text} at ${m.createdAt}`);
  const stop = on('message', onMessage);
  on('message', (m) => m.text.toUpperCase());
  on('ready', ({ version }) => version.length);
  on('error', (e: WidgetError) => e.code.startsWith('init'));
  on('unread', ({ count }) => count + 1);
  on('connection', ({ state }) => state === 'polling');
  on('identify', ({ externalUserId, nickname }) => externalUserId ?? nickname ?? 'anonymous');
  on('open', () => undefined);
  const first: () => void = once('message', (m) => m.from === 'agent');
  once('ready', ({ version }) => version.length);
  off('message', onMessage);
  stop();
  first();
  const events: WidgetEvent[] = ['ready', 'open', 'close', 'message', 'error', 'identify', 'shutdown', 'unread', 'connection'];
  Natter.on('close', () => {});
  const stopOnce: () => void = Natter.once('unread', ({ count }) => count);
  stopOnce();
  Natter.shutdown();
  shutdown();
  return `${version} ${Natter.version} ${events.length} ${texts.length}`;
}

// The CDN global, typed by the page itself.
declare global {
  interface Window {
    Natter: NatterGlobal;
  }
}
window.Natter('init', { appKey: 'sk_demo' });
const unsubscribe: () => void = window.Natter('on', 'message', (m) => m.text);
unsubscribe();
window.Natter('once', 'ready', ({ version }) => version)();
window.Natter.once('connection', ({ state }) => state)();
window.Natter.on('open', () => {})();
window.Natter('off', 'message', (m) => m.text);
window.Natter('open', { prefill: 'hi' });
window.Natter.toggle();
window.Natter('hideLauncher');
window.Natter.showLauncher();
