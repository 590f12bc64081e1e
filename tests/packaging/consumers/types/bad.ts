// Misuse the types must catch; the test expects exactly these errors, by line.
import Natter, { init, on, once } from 'natter-widget';

on('mesage', () => {}); // misspelled event
init({ appKey: 'sk_demo', zIndex: 'high' }); // wrong field type
init({ appKey: 'sk_demo', position: 'middle' }); // value outside the union
init({ apiBase: 'https://chat.example.com' }); // appKey missing
on('message', (m) => m.body); // ChatMessage has no body
Natter.call('open', []); // wasm-bindgen internals are not public
init({ appKey: 'sk_demo', onMesage: () => {} }); // misspelled handler
once('opne', () => {}); // misspelled event, once
