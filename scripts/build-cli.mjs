// Builds the CLI (server/cli/main.ts) into one ESM bundle, .nsplay-build/cli-ID.mjs, so `nsplay` starts
// without compiling TypeScript through tsx on every run. scripts/setup.sh runs this on every
// `npm start` / `npm test`. bin/nsplay.js uses the bundle only while it is fresh: the stamp
// (.nsplay-build/cli.stamp.json) names the bundle and holds the mtime, taken before the build, of every file under server/
// that the bundle includes and of the few files outside it that shape it; any difference (an edit, a
// touch, a deleted file) makes the launcher fall back to tsx, so edits under server/ never run stale.
//
//   node scripts/build-cli.mjs           build when stale
//   node scripts/build-cli.mjs --force   build anyway
//   node scripts/build-cli.mjs --check   exit 0 when fresh, 1 when stale (no build)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = path.join(ROOT, '.nsplay-build');
const STAMP = path.join(OUT_DIR, 'cli.stamp.json');
const ENTRY = path.join(ROOT, 'server/cli/main.ts');
// Outside server/: npm installs (node_modules/.package-lock.json is rewritten by npm ci/install),
// the TypeScript settings and this script.
const EXTRA = ['package-lock.json', 'node_modules/.package-lock.json', 'tsconfig.json', 'scripts/build-cli.mjs'];

/** mtimeMs of every file under server/ and of EXTRA, by path relative to the checkout. */
function mtimes(root = ROOT) {
  const out = {};
  const walk = (rel) => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(r);
      else out[r] = fs.statSync(path.join(root, r)).mtimeMs;
    }
  };
  walk('server');
  for (const f of EXTRA) out[f] = fs.statSync(path.join(root, f), { throwIfNoEntry: false })?.mtimeMs ?? null;
  return out;
}

/**
 * The bundle's file URL when every source it was built from (each file under server/ that it
 * bundles, and EXTRA) still has the mtime it had when the build read it; else null. About 90 stats:
 * a few ms. A file the bundle does not include cannot change it (imports name their .ts files), so
 * only the inputs are checked; an input edited, touched, replaced or deleted makes it stale.
 */
export function freshBundle(root = ROOT) {
  try {
    const stamp = JSON.parse(fs.readFileSync(path.join(root, '.nsplay-build/cli.stamp.json'), 'utf8'));
    if (stamp.version !== 1 || !/^cli-[\w-]+\.mjs$/.test(stamp.bundle)) return null;
    for (const [f, t] of Object.entries(stamp.inputs)) {
      if ((fs.statSync(path.join(root, f), { throwIfNoEntry: false })?.mtimeMs ?? null) !== t) return null;
    }
    const out = path.join(root, '.nsplay-build', stamp.bundle);
    return fs.existsSync(out) ? pathToFileURL(out).href : null;
  } catch {
    return null;
  }
}

// The bundle lives elsewhere than the sources, so `import.meta.url` (used to find labs/, docs/ …)
// is rewritten per source file to the URL that file has — relative to the bundle at run time, so the
// checkout can still be moved.
const keepImportMetaUrl = {
  name: 'keep-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.[cm]?ts$/ }, async (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      let text = await fs.promises.readFile(args.path, 'utf8');
      if (/import\.meta\.(url|dirname|filename)\b/.test(text)) {
        const rel = path.relative(OUT_DIR, args.path).split(path.sep).join('/');
        const url = `new URL(${JSON.stringify(rel)}, import.meta.url).href`;
        text = text
          .replace(/import\.meta\.url\b/g, `(${url})`)
          .replace(/import\.meta\.filename\b/g, `(__nsplayFileURLToPath(${url}))`)
          .replace(/import\.meta\.dirname\b/g, `(__nsplayDirname(__nsplayFileURLToPath(${url})))`);
      }
      return { contents: text, loader: 'ts' };
    });
  },
};

async function build() {
  const { build: esbuild } = await import('esbuild');
  const t0 = performance.now();
  const before = mtimes(); // before esbuild reads any source: an edit during the build makes it stale
  fs.mkdirSync(OUT_DIR, { recursive: true });
  // Each build writes its own file and the stamp names it, so the stamp and the bundle it vouches for
  // are replaced together (one rename) even when two setups build at once.
  const name = `cli-${Date.now().toString(36)}-${process.pid}.mjs`;
  const out = path.join(OUT_DIR, name);
  const { metafile } = await esbuild({
    absWorkingDir: ROOT,
    entryPoints: [ENTRY],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked', // NAME.mjs.map: `NODE_OPTIONS=--enable-source-maps nsplay …` maps stacks to server/
    // Minified, names kept (classes and functions report the same .name): V8 has less to parse at start.
    minify: true,
    keepNames: true,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    // Native or optional packages stay outside the bundle and load from node_modules as before.
    external: ['node-pty', 'esbuild', 'tsx', 'fsevents', 'bufferutil', 'utf-8-validate'],
    banner: {
      js: [
        "import { createRequire as __nsplayCreateRequire } from 'node:module';",
        "import { fileURLToPath as __nsplayFileURLToPath } from 'node:url';",
        "import { dirname as __nsplayDirname } from 'node:path';",
        'const require = __nsplayCreateRequire(import.meta.url);',
      ].join('\n'),
    },
    plugins: [keepImportMetaUrl],
  });
  const inputs = {};
  for (const f of Object.keys(metafile.inputs).map((i) => path.relative(ROOT, path.resolve(ROOT, i)).split(path.sep).join('/'))) {
    if (f.startsWith('server/')) inputs[f] = before[f] ?? null; // null: not there before the build, so stale
  }
  for (const f of EXTRA) inputs[f] = before[f];
  const tmp = `${STAMP}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify({ version: 1, bundle: name, built: new Date().toISOString(), inputs }, null, 1)}\n`);
  fs.renameSync(tmp, STAMP);
  // Earlier bundles: gone once they are a minute old (a launcher that just read the old stamp may still import one).
  for (const f of fs.readdirSync(OUT_DIR)) {
    const p = path.join(OUT_DIR, f);
    if (/^cli-.*\.mjs(\.map)?$/.test(f) && !f.startsWith(name) && Date.now() - fs.statSync(p).mtimeMs > 60_000) fs.rmSync(p, { force: true });
  }
  const kb = Math.round(fs.statSync(out).size / 1024);
  process.stdout.write(`built ${path.relative(ROOT, out)} (${kb} KiB) in ${Math.round(performance.now() - t0)} ms\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args.includes('--check')) process.exit(freshBundle() ? 0 : 1);
  if (args.includes('--force') || !freshBundle()) await build();
}
