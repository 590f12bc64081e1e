// Public types of natter-widget, written by hand: this is the contract, and
// the wasm-bindgen internals (`boot`, `call`, `initSync`, `free()`) are not
// part of it. Ranges are clamped by the widget: an out-of-range number is
// brought into range, and an invalid value is ignored with one `[Natter]`
// console warning naming the field.

/** Launcher corner: bottom-right, bottom-left, top-right, top-left. */
export type Position = 'br' | 'bl' | 'tr' | 'tl';
/** Interface languages. */
export type Locale = 'en-US' | 'zh-CN';
/** `auto` follows `prefers-color-scheme`. */
export type Theme = 'light' | 'dark' | 'auto';
export type ButtonShape = 'circle' | 'pill';
/** When the launcher shows: always, never (open the panel with `open()`), or once the visitor has a conversation. */
export type LauncherMode = 'visible' | 'hidden' | 'whenConversation';

/** Who the visitor is; every field is optional except in `identify`. */
export interface VisitorFields {
  /** Your own stable user id (identity layer 1). `null` in `identify` means logout. */
  externalUserId?: string | null;
  /** Name shown to agents. */
  nickname?: string;
  /** Avatar image URL (http or https). */
  avatar?: string;
  email?: string;
  phone?: string;
  /** Business context shown to agents (order number, plan...): an object, or its JSON text. */
  extra?: Record<string, unknown> | string;
  /** Hex HMAC-SHA256 of `externalUserId` with the site's identity secret, computed by your backend. */
  userHash?: string;
  /** Alternative proof: an HS256 JWT minted by your backend whose `sub` is `externalUserId` (see docs/identity.md). */
  identityToken?: string;
}

/**
 * Configuration accepted by `init()`. Each field can also be given as a
 * `data-*` attribute on the CDN script tag (`zIndex` → `data-z-index`) or in
 * its query string; `init()` wins, then `data-*`, then the query string.
 */
/** `onReady`, `onMessage`...: handlers given with `init()`, removed again by `shutdown()`. */
export type InitHandlers = { [E in WidgetEvent as `on${Capitalize<E>}`]?: WidgetEventHandler<E> };

export interface InitConfig extends Omit<VisitorFields, 'externalUserId'>, InitHandlers {
  /** The site's app key. Required. */
  appKey: string;
  /** Backend base URL (http or https). Default: the origin that serves the widget. */
  apiBase?: string;
  /** WebSocket base URL. Default: derived from `apiBase`. */
  wsBase?: string;
  /** Your own stable user id (identity layer 1). */
  externalUserId?: string;
  /** Browser fingerprint (identity layer 2). Default `true`; off when the browser sends Global Privacy Control. */
  fingerprint?: boolean;
  /**
   * Interface language. Default: stored choice, then the site's locale, then
   * the browser's preferred language (`zh*` → `zh-CN`, anything else → `en-US`).
   */
  locale?: Locale;
  /** Default `"light"`. */
  theme?: Theme;
  /** Launcher corner. Default `"br"`. */
  position?: Position;
  /** Open the panel once ready. Default `false`. */
  defaultOpen?: boolean;
  /** z-index of the widget's container, 0-2147483647. Default 2147483000. */
  zIndex?: number;
  /** Run without a backend: no network, visitor messages get a `[mock]` echo. Default `false`. */
  mock?: boolean;
  /** Brand color, `#rgb` or `#rrggbb`. Default `#4338ca`. */
  primaryColor?: string;
  /** Gradient end color, `#rgb` or `#rrggbb`. Default: `primaryColor` 12% brighter. */
  primaryColorAccent?: string;
  /** Distance from the left or right screen edge in px, 0-200. Default 24. */
  offsetX?: number;
  /** Distance from the top or bottom screen edge in px, 0-200. Default 24. */
  offsetY?: number;
  /** Desktop panel width in px, 280-720. Default 380. */
  panelWidth?: number;
  /** Desktop panel height in px, 360-900. Default 580. */
  panelHeight?: number;
  /** Panel corner radius in px, 0-32. Default 16. */
  panelRadius?: number;
  /** Launcher size in px, 40-96. Default 56. */
  buttonSize?: number;
  /** Default `"circle"`. */
  buttonShape?: ButtonShape;
  /** Launcher text, shown when `buttonShape` is `"pill"`. */
  buttonLabel?: string;
  /** Launcher icon: inline `<svg ...>` markup (sanitized) or an image URL. */
  buttonIcon?: string;
  /** Header title, up to 80 characters. Default: the site's name from its remote config, else a localized "Chat with us". */
  headerTitle?: string;
  /** Header subtitle. Default: online status and reply time. */
  headerSubtitle?: string;
  /** Header background: any CSS background value. Default: the primary color gradient. */
  headerBackground?: string;
  /** Panel background image URL. */
  backgroundImage?: string;
  /**
   * When the launcher shows. Default `"visible"`. `open()` works whatever it
   * is; `showLauncher()` and `hideLauncher()` override it until `shutdown()`.
   */
  launcher?: LauncherMode;
  /** The panel's open state and the unsent draft come back on the next page of the same tab. Default `true`. */
  keepOpen?: boolean;
  /** A short chime for an agent message while the panel is closed or the tab hidden, after the visitor's first click or key in the widget; the panel has a mute toggle. Default `true`. */
  sound?: boolean;
  /** While the tab is hidden with unread agent messages, the page title alternates with `(N) New message`. Default `true`. */
  titleFlash?: boolean;
  /** While the panel is closed, the latest unread agent message shows in a dismissible bubble beside the launcher. Default `true`. */
  preview?: boolean;
  /**
   * Where to load the wasm from, for self-hosting. Default: `natter.wasm`
   * beside the package's ES module (bundlers copy it), or the copy inlined
   * in the CommonJS build.
   */
  wasmUrl?: string | URL;
}

/** `identify()` after login (`externalUserId` set) or logout (`externalUserId: null`). */
export interface IdentifyProfile extends VisitorFields {
  externalUserId: string | null;
}

export interface OpenOptions {
  /** Text put in the composer. */
  prefill?: string;
}

/**
 * One chat message, as the `message` event delivers it: only messages new
 * since the page loaded (the visitor's own once the server has it, and every
 * reply). The history shown when the widget starts, or after `identify()`
 * switches the user, is not emitted.
 */
export interface ChatMessage {
  /** Server id, increasing; absent while a visitor message is still being sent. */
  id?: number;
  conversationId?: number;
  from: 'visitor' | 'agent' | 'system';
  text: string;
  /** Set on agent messages. */
  agentName?: string;
  /** RFC 3339 UTC timestamp, e.g. `2026-05-21T07:53:20.123Z`. */
  createdAt: string;
}

/** Payload of the `error` event; `init()` rejects with an Error carrying the same `code`. */
export interface WidgetError {
  /** Machine-readable: codes starting with `init` are fatal to `init()`. */
  code: string;
  message: string;
}

export type ConnectionState = 'connecting' | 'online' | 'polling' | 'offline';

/**
 * Whether anyone is there: `online` inside the site's hours with an agent
 * connected, `away` inside hours with none, `offline` outside them.
 */
export interface Availability {
  state: 'online' | 'away' | 'offline';
  /** RFC 3339: when the site's hours begin again, when offline and known. */
  nextOpenAt?: string;
}

/** The rating scale a site asks for: CSAT 1 to 5, NPS 0 to 10. */
export type RatingScale = 'csat' | 'nps';

/** What `getState()` returns. */
export interface WidgetState {
  open: boolean;
  unread: number;
  /** The open conversation; `null` when there is none (none yet, or it ended). */
  conversationId: number | null;
  /** `null` until the server has said. */
  availability: Availability | null;
  /** `null` until the connection has a state. */
  connection: ConnectionState | null;
  locale: Locale;
  externalUserId: string | null;
}

/** Every event and its payload. */
export interface WidgetEventMap {
  /** `availability` is `null` until the server has said (the `availability` event follows); mock mode is online. */
  ready: { version: string; availability: Availability | null };
  open: undefined;
  close: undefined;
  message: ChatMessage;
  error: WidgetError;
  /** The identity after `identify()`; `null` where a field is not set. */
  identify: {
    externalUserId: string | null;
    nickname: string | null;
    avatar: string | null;
    email: string | null;
    phone: string | null;
  };
  shutdown: undefined;
  /** Agent messages the visitor has not seen yet. */
  unread: { count: number };
  connection: { state: ConnectionState };
  /** The site's availability changed (and once when first known). */
  availability: Availability;
  /** The visitor's message started a new conversation. */
  conversationStarted: { conversationId: number };
  /** An agent joined the conversation. */
  agentJoined: { conversationId: number; agentName?: string };
  /** The conversation ended: by the visitor (`endChat()`, the menu), an agent, or the server. */
  conversationEnded: { conversationId: number; by: 'visitor' | 'agent' | 'system' };
  /** An agent started or stopped typing. */
  typing: { from: 'agent'; active: boolean };
  /** The server stored the visitor's rating (given or changed). */
  rating: { conversationId: number; scale: RatingScale; score: number; comment?: string };
}

export type WidgetEvent = keyof WidgetEventMap;
export type WidgetEventHandler<E extends WidgetEvent> = (payload: WidgetEventMap[E]) => void;

/** The error `init()` rejects with. */
export interface NatterInitError extends Error {
  /** `init_load_failed`, `init_no_browser`, or the runtime's `init...` code. */
  code: string;
}

/**
 * Starts the widget. Resolves once it is ready; rejects with a
 * `NatterInitError` when the wasm cannot load, the config is unusable, or
 * it runs outside a browser (server-side rendering).
 */
export function init(config: InitConfig): Promise<void>;
export function identify(profile: IdentifyProfile): void;
export function open(options?: OpenOptions): void;
export function close(): void;
export function toggle(): void;
export function sendMessage(text: string): void;
export function setLocale(locale: Locale): void;
/** Shows the launcher, whatever the `launcher` config says, until `shutdown()`. */
export function showLauncher(): void;
/** Hides the launcher, whatever the `launcher` config says, until `shutdown()`; `open()` still opens the panel. */
export function hideLauncher(): void;
/**
 * Subscribes to an event; returns the function that unsubscribes (the same
 * as `off(event, handler)`). Works before `init()`: the handler is kept until
 * the widget is ready. `ready` after ready still fires, once.
 */
export function on<E extends WidgetEvent>(event: E, handler: WidgetEventHandler<E>): () => void;
/** Like `on`, for the next event only. */
export function once<E extends WidgetEvent>(event: E, handler: WidgetEventHandler<E>): () => void;
/** Removes every subscription of `handler` to `event`. */
export function off<E extends WidgetEvent>(event: E, handler: WidgetEventHandler<E>): void;
/** Removes the widget and everything it added to the page. */
export function shutdown(): void;
/** Ends the open conversation without asking (the header menu's End chat asks); does nothing without one. */
export function endChat(): void;
/** The widget's state, synchronously once it is ready; `null` before (or outside a browser). */
export function getState(): WidgetState | null;
/** The package's version. */
export const version: string;

export interface NatterApi {
  init: typeof init;
  identify: typeof identify;
  open: typeof open;
  close: typeof close;
  toggle: typeof toggle;
  sendMessage: typeof sendMessage;
  setLocale: typeof setLocale;
  showLauncher: typeof showLauncher;
  hideLauncher: typeof hideLauncher;
  on: typeof on;
  once: typeof once;
  off: typeof off;
  shutdown: typeof shutdown;
  endChat: typeof endChat;
  getState: typeof getState;
  readonly version: string;
}

/**
 * `window.Natter` as the CDN script installs it: the queue function
 * `Natter('open')` plus the same methods. To type it in a CDN page:
 * `declare global { interface Window { Natter: import('natter-widget').NatterGlobal } }`.
 */
export interface NatterGlobal extends Omit<NatterApi, 'init' | 'getState'> {
  (command: 'init', config: InitConfig): void;
  (command: 'endChat'): void;
  /** Calls `callback` with the state once the widget is ready (on a later microtask). */
  (command: 'getState', callback: (state: WidgetState) => void): void;
  (command: 'identify', profile: IdentifyProfile): void;
  (command: 'open', options?: OpenOptions): void;
  (command: 'close' | 'toggle' | 'shutdown' | 'showLauncher' | 'hideLauncher'): void;
  (command: 'sendMessage', text: string): void;
  (command: 'setLocale', locale: Locale): void;
  <E extends WidgetEvent>(command: 'on' | 'once', event: E, handler: WidgetEventHandler<E>): () => void;
  <E extends WidgetEvent>(command: 'off', event: E, handler: WidgetEventHandler<E>): void;
  init(config: InitConfig): void;
  /** `Natter('getState', callback)`. */
  getState(callback: (state: WidgetState) => void): void;
}

declare const Natter: NatterApi;
export default Natter;
