// Express 5 around the bare server's handler (cookie in, cookie out, no session): what Express's
// own request handling costs on top of node:http. Not a default stack (`--stacks=bare-express`):
// every session stack runs on plain node:http, express-session included, so that they differ in
// their session work only; this one tells how far a real Express app sits below them all.

import express from 'express';
import { cookieOnlyHandler, start } from './workload.mjs';

const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.get('/', cookieOnlyHandler);

start('bare express', app);
