// npm does not link a package's own bin into its node_modules/.bin; do it so `npx nsplay` works here.
import fs from 'node:fs';
import path from 'node:path';

const bin = path.resolve('node_modules/.bin');
fs.mkdirSync(bin, { recursive: true });
const link = path.join(bin, 'nsplay');
fs.rmSync(link, { force: true });
fs.symlinkSync('../../bin/nsplay.js', link);
