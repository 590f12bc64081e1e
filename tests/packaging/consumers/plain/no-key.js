// An app that forgets its app key: init() must reject with the runtime's code.
import { start } from '../app.js';

start({ appKey: undefined });
