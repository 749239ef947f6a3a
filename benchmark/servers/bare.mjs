// The ceiling: node:http that only parses the Cookie header and sets a cookie — what every stack
// does at the least, without a session.

import { cookieOnlyHandler, start } from './workload.mjs';

start('bare', cookieOnlyHandler);
