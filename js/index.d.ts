/** Configuration accepted by `init()`. */
export interface InitConfig {
  /** The site's app key. Required. */
  appKey: string;
  /** Backend base URL. Default: the origin that serves the widget. */
  apiBase?: string;
  /** Launcher corner. Default `"br"`. */
  position?: 'br' | 'bl' | 'tr' | 'tl';
  /** Open the panel once ready. Default `false`. */
  defaultOpen?: boolean;
  /** z-index of the widget's container. Default 2147483000. */
  zIndex?: number;
  /** Run without a backend: messages get a local echo. Default `false`. */
  mock?: boolean;
  /** Where to load `natter.wasm` from, for self-hosting. */
  wasmUrl?: string | URL;
}

export interface OpenOptions {
  /** Text put in the composer. */
  prefill?: string;
}

/** Starts the widget; resolves once the runtime has taken the config. */
export function init(config: InitConfig): Promise<void>;
export function open(options?: OpenOptions): void;
export function close(): void;
export function toggle(): void;
export function shutdown(): void;
export const version: string;

declare const Natter: {
  init: typeof init;
  open: typeof open;
  close: typeof close;
  toggle: typeof toggle;
  shutdown: typeof shutdown;
  version: string;
};
export default Natter;
