import * as pkg from 'natter-widget';
import { describePackage } from './check.mjs';

console.log(JSON.stringify(await describePackage(pkg)));
