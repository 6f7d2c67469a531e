// bench/compile: how fast the pure pipeline turns manifests into stack YAML.
// Compiles 1,000 distinct manifests (text -> parse -> validate -> normalise -> compile -> YAML)
// on one core and prints throughput and the p99 latency per manifest.
// Target (issue 2): at least 5,000 manifests per second.
import { compileStack, manifestFromText } from '@minicloud/core';

const COUNT = 1000;
const ROUNDS = 5;

/** A spread of realistic shapes: web only, with needs, with runners, with every option. */
function manifestText(i) {
  const needs = [['database'], ['messagebus', 'storage'], ['database', 'messagebus', 'storage'], []][i % 4];
  const lines = [
    `name: app-${i}`,
    `expose: [{proto: http, port: ${3000 + (i % 1000)}}${i % 5 === 0 ? `, {proto: tcp, port: ${9000 + (i % 100)}}` : ''}]`,
    `needs: [${needs.join(', ')}]`,
    'env:',
    `  LOG_LEVEL: ${i % 2 ? 'debug' : 'info'}`,
    `  INSTANCE: ${i}`,
    `  GREETING: "hello $USER number ${i}"`,
    `healthcheck: {http: /health/${i}, interval: ${5 + (i % 30)}s}`,
    `resources: {memory: ${64 + (i % 8) * 32}M, cpus: 0.${1 + (i % 9)}}`,
  ];
  if (needs.includes('storage')) lines.push(`storage: {path: /data/app${i}}`);
  if (i % 3 === 0) {
    lines.push('runners:', `  - {name: worker, command: [node, worker.js, "${i}"], replicas: ${1 + (i % 3)}}`);
    lines.push(`  - {name: cron, command: "node cron.js --every ${i}m"}`);
  }
  return lines.join('\n');
}

const inputs = Array.from({ length: COUNT }, (_, i) => ({
  text: manifestText(i),
  settings: { image: `registry.local:5000/app-${i}:${i}.0`, domains: [`app${i}.example.com`], replicas: 1 + (i % 3) },
}));

function compileOne({ text, settings }) {
  return compileStack(manifestFromText(text, 'cloud_manifest.yml'), settings).yaml;
}

// Warm up the JIT and the compiled schema validators before measuring.
for (const input of inputs.slice(0, 200)) compileOne(input);

const durations = [];
let bytes = 0;
const started = process.hrtime.bigint();
for (let round = 0; round < ROUNDS; round++) {
  for (const input of inputs) {
    const t0 = process.hrtime.bigint();
    bytes += compileOne(input).length;
    durations.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
}
const totalMs = Number(process.hrtime.bigint() - started) / 1e6;
durations.sort((a, b) => a - b);
const pct = (p) => durations[Math.min(durations.length - 1, Math.floor((p / 100) * durations.length))];
const perSecond = (durations.length / totalMs) * 1000;

console.log(`bench/compile: ${COUNT} distinct manifests x ${ROUNDS} rounds = ${durations.length} compiles`);
console.log(`  throughput: ${perSecond.toFixed(0)} manifests/s (target >= 5000)`);
console.log(
  `  latency per manifest: p50 ${pct(50).toFixed(3)} ms, p99 ${pct(99).toFixed(3)} ms, max ${durations.at(-1).toFixed(3)} ms`,
);
console.log(`  output: ${(bytes / durations.length / 1024).toFixed(1)} KiB of YAML per manifest on average`);
