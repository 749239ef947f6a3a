// Release steps around napi-rs's own (`napi artifacts`, `napi prepublish`); README "Releasing"
// has the whole sequence.
//
//   node scripts/release.mjs pack [--all]   (npm run release:pack)
//       Packs the main package and every per-platform package whose binary is in npm/<platform>/
//       into target/release/, checks what each holds (LICENSE in all; the binary, stripped, in a
//       platform package; no binary in the main one) and prints each tarball's size. With --all
//       (the release workflow), a target of napi.targets without its binary is an error.
//   node scripts/release.mjs sync-versions  (in the `version` script, after `napi version`)
//       Sets the main package's optionalDependencies to its per-platform packages at its version,
//       as `napi prepublish` writes them, so the committed package.json says what will be published.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { artifactName, packageDir, packageName, pkg, releaseTargets, root } from './lib/platforms.mjs';

const [command, ...options] = process.argv.slice(2);

function syncVersions() {
  const file = path.join(root, 'package.json');
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  manifest.optionalDependencies = Object.fromEntries(releaseTargets().map((t) => [packageName(t), manifest.version]));
  writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`optionalDependencies: ${Object.keys(manifest.optionalDependencies).length} packages at ${manifest.version}`);
}

const kB = (bytes) => (bytes >= 1e6 ? `${(bytes / 1e6).toFixed(2)} MB` : `${(bytes / 1e3).toFixed(1)} kB`);

/** Whether a binary has no symbol table left (ELF: no .symtab; PE: objdump reports "symbols stripped"). */
function stripped(file, platform) {
  if (platform === 'linux') return !/\.symtab\b/.test(execFileSync('objdump', ['-h', file], { encoding: 'utf8' }));
  if (platform === 'win32') {
    try {
      return /symbols stripped/.test(execFileSync('x86_64-w64-mingw32-objdump', ['-f', file], { encoding: 'utf8' }));
    } catch {
      return undefined; // no MinGW objdump here: not checked
    }
  }
  return undefined; // Mach-O: checked on macOS by the release workflow's build (strip = "symbols")
}

function pack({ all }) {
  const out = path.join(root, 'target', 'release');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const problems = [];
  const rows = [];
  const npmPack = (dir) => JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', out], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }))[0];

  const main = npmPack(root);
  const mainFiles = main.files.map((file) => file.path);
  if (!mainFiles.includes('LICENSE')) problems.push(`${pkg.name}: no LICENSE`);
  if (mainFiles.some((file) => file.endsWith('.node'))) problems.push(`${pkg.name}: ships a binary; they belong in the per-platform packages`);
  rows.push([pkg.name, kB(main.size), kB(main.unpackedSize), `${main.entryCount} files`]);

  for (const t of releaseTargets()) {
    const binary = path.join(packageDir(t), artifactName(t));
    if (!existsSync(binary)) {
      if (all) problems.push(`${packageName(t)}: npm/${t.platformArchABI}/${artifactName(t)} is missing (npm run artifacts)`);
      rows.push([packageName(t), '-', '-', 'not built here']);
      continue;
    }
    const packed = npmPack(packageDir(t));
    const files = packed.files.map((file) => file.path).sort();
    for (const needed of ['LICENSE', 'README.md', 'package.json', artifactName(t)]) {
      if (!files.includes(needed)) problems.push(`${packageName(t)}: no ${needed}`);
    }
    const isStripped = stripped(binary, t.platform);
    if (isStripped === false) problems.push(`${packageName(t)}: ${artifactName(t)} is not stripped`);
    rows.push([packageName(t), kB(packed.size), kB(packed.unpackedSize), isStripped ? 'stripped' : isStripped === false ? 'NOT stripped' : 'strip not checked here']);
  }

  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i].length), 8));
  console.log(`${'package'.padEnd(widths[0])}  ${'tarball'.padStart(widths[1])}  ${'unpacked'.padStart(widths[2])}`);
  for (const [name, size, unpacked, note] of rows) console.log(`${name.padEnd(widths[0])}  ${size.padStart(widths[1])}  ${unpacked.padStart(widths[2])}  ${note}`);
  console.log(`tarballs in ${path.relative(root, out)}/`);
  if (problems.length) {
    console.error(`\n${problems.join('\n')}`);
    process.exit(1);
  }
}

if (command === 'pack') pack({ all: options.includes('--all') });
else if (command === 'sync-versions') syncVersions();
else {
  console.error('usage: node scripts/release.mjs pack [--all] | sync-versions');
  process.exit(2);
}
