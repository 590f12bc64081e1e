// The event scenario through the package's named exports.
import * as natter from 'natter-widget';
import { eventScenario } from '../events-scenario.js';

eventScenario(natter).then((result) => (document.body.dataset.result = JSON.stringify(result)));
