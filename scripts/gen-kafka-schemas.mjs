#!/usr/bin/env node
// Generate kseg's own schema table from Kafka's message specifications (JSON spec *data*, not
// Kafka code). Usage:
//
//   node scripts/gen-kafka-schemas.mjs [--check] [--name NAME] [--commit SHA] [--source TEXT] \
//        [--out FILE] SPEC_DIR...
//
// Defaults: SPEC_DIR = ../shared/kafka-specs, out = src/format/kafka-messages/schemas.generated.ts,
// export name KAFKA_SCHEMAS, commit read from SPEC_DIR/PROVENANCE ("commit <sha>").
// The remote-log-metadata table (Kafka's storage module specs, which ../shared/kafka-specs does not
// hold) is made with:
//
//   node scripts/gen-kafka-schemas.mjs --name REMOTE_LOG_METADATA_SCHEMAS --group remote-log-metadata \
//        --commit <sha> --source github:confluentinc/kafka \
//        --out src/format/kafka-messages/remote-log-metadata.generated.ts <dir with the 4 specs>
//
// Output is deterministic (specs sorted by group then name, fields in spec order); --check exits 1
// when the file on disk differs from what would be written.
import fs from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
let check = false;
let out = 'src/format/kafka-messages/schemas.generated.ts';
let exportName = 'KAFKA_SCHEMAS';
let commit;
let source = 'github:confluentinc/kafka (tracks apache/kafka trunk)';
let forcedGroup;
const dirs = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--check') check = true;
  else if (a === '--out') out = args[++i];
  else if (a === '--name') exportName = args[++i];
  else if (a === '--commit') commit = args[++i];
  else if (a === '--source') source = args[++i];
  else if (a === '--group') forcedGroup = args[++i];
  else dirs.push(a);
}
if (dirs.length === 0) dirs.push('../shared/kafka-specs');

/** JSON with // and /* *\/ comments (Kafka's specs carry a licence header and notes). */
function parseSpec(text, file) {
  let outText = '';
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inStr) {
      outText += c;
      if (c === '\\') outText += text[++i];
      else if (c === '"') inStr = false;
    } else if (c === '"') {
      inStr = true;
      outText += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      outText += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      i += 2;
      while (i < text.length && !(text[i] === '*' && text[i + 1] === '/')) i++;
      i++;
    } else outText += c;
  }
  try {
    return JSON.parse(outText);
  } catch (e) {
    throw new Error(`${file}: ${e.message}`);
  }
}

const MAX = 32767;
/** "0", "1+", "2-4", "none" -> [lo, hi] or null. */
function versions(s, what) {
  if (s === undefined) return undefined;
  s = String(s).trim();
  if (s === 'none') return null;
  let m = /^(\d+)\+$/.exec(s);
  if (m) return [Number(m[1]), MAX];
  m = /^(\d+)-(\d+)$/.exec(s);
  if (m) return [Number(m[1]), Number(m[2])];
  m = /^(\d+)$/.exec(s);
  if (m) return [Number(m[1]), Number(m[1])];
  throw new Error(`${what}: bad version range '${s}'`);
}

const PRIMITIVES = new Set(['bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'uuid', 'string', 'bytes', 'records']);

function lowerFirst(name) {
  return name.slice(0, 1).toLowerCase() + name.slice(1);
}

/** A spec default ("-1", -1, "null", "true", ...) as the JSON value JsonConverter would print. */
function defaultValue(type, d, where) {
  if (d === undefined) return undefined;
  const s = String(d);
  if (s === 'null') return null;
  switch (type) {
    case 'bool':
      if (s !== 'true' && s !== 'false') throw new Error(`${where}: bad bool default ${s}`);
      return s === 'true';
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
    case 'int64':
    case 'float64': {
      const n = Number(s.startsWith('0x') ? parseInt(s, 16) : s);
      if (!Number.isFinite(n)) throw new Error(`${where}: bad numeric default ${s}`);
      return n;
    }
    case 'string':
      return s;
    default:
      throw new Error(`${where}: default '${s}' for type ${type} is not supported`);
  }
}

function convertFields(fields, common, where) {
  return (fields ?? []).map((f) => convertField(f, common, `${where}.${f.name}`));
}

function convertField(f, common, where) {
  const out = { name: lowerFirst(f.name) };
  let type = f.type;
  if (type.startsWith('[]')) {
    out.array = true;
    type = type.slice(2);
  }
  // A tagged field may give only taggedVersions; its versions are then the same (FieldSpec).
  const v = versions(f.versions ?? f.taggedVersions, where);
  if (v === undefined) throw new Error(`${where}: no versions`);
  out.versions = v;
  if (PRIMITIVES.has(type)) {
    out.type = type;
  } else {
    out.type = 'struct';
    out.structName = type;
    const inner = f.fields ?? common.get(type);
    if (!inner) throw new Error(`${where}: unknown struct type ${type}`);
    out.fields = convertFields(inner, common, where);
  }
  const nv = versions(f.nullableVersions, where);
  if (nv) out.nullableVersions = nv;
  const tv = versions(f.taggedVersions, where);
  if (tv) {
    out.taggedVersions = tv;
    if (f.tag === undefined) throw new Error(`${where}: taggedVersions without tag`);
  }
  if (f.tag !== undefined) out.tag = Number(f.tag);
  if (!out.array && out.type !== 'struct') {
    const d = defaultValue(out.type, f.default, where);
    if (d !== undefined) out.default = d;
  } else if (f.default !== undefined && String(f.default) === 'null') out.default = null;
  return out;
}

function readSpecs(dir) {
  const files = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.json')) files.push(p);
    }
  };
  walk(dir);
  return files.map((file) => {
    const spec = parseSpec(fs.readFileSync(file, 'utf8'), file);
    const rel = path.relative(dir, file).split(path.sep);
    return { spec, group: forcedGroup ?? rel[0] };
  });
}

const schemas = [];
for (const dir of dirs) {
  for (const { spec, group } of readSpecs(dir)) {
    const common = new Map((spec.commonStructs ?? []).map((s) => [s.name, s.fields]));
    schemas.push({
      name: spec.name,
      group,
      kind: spec.type,
      apiKey: spec.apiKey ?? null,
      validVersions: versions(spec.validVersions, spec.name),
      flexibleVersions: versions(spec.flexibleVersions ?? 'none', spec.name),
      fields: convertFields(spec.fields, common, spec.name),
    });
  }
}
schemas.sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

if (commit === undefined) {
  const prov = path.join(dirs[0], 'PROVENANCE');
  const m = fs.existsSync(prov) ? /commit ([0-9a-f]{40})/.exec(fs.readFileSync(prov, 'utf8')) : null;
  commit = m ? m[1] : 'unknown';
}

// Compact, stable rendering: one field per line, keys in a fixed order.
const KEY_ORDER = ['name', 'type', 'array', 'structName', 'versions', 'nullableVersions', 'taggedVersions', 'tag', 'default', 'fields'];
function render(v, indent) {
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return `[${v.join(', ')}]`;
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[\n${v.map((x) => `${indent}  ${render(x, indent + '  ')},`).join('\n')}\n${indent}]`;
  }
  if (v && typeof v === 'object') {
    const keys = Object.keys(v).sort((a, b) => KEY_ORDER.indexOf(a) - KEY_ORDER.indexOf(b));
    const parts = keys.map((k) => `${k}: ${render(v[k], indent)}`);
    return `{ ${parts.join(', ')} }`;
  }
  return JSON.stringify(v);
}
function renderSchema(s) {
  const head = `{ name: ${JSON.stringify(s.name)}, group: ${JSON.stringify(s.group)}, kind: ${JSON.stringify(s.kind)}, apiKey: ${s.apiKey}, validVersions: ${render(s.validVersions)}, flexibleVersions: ${s.flexibleVersions ? render(s.flexibleVersions) : 'null'},`;
  return `  ${head}\n    fields: ${render(s.fields, '    ')} }`;
}

const text = `// GENERATED by scripts/gen-kafka-schemas.mjs from Kafka's message specifications -- do not edit.
// Source: ${source}, commit ${commit}.
// Specs: ${schemas.length} (${[...new Set(schemas.map((s) => s.group))].join(', ')}).
// Versions are [lowest, highest] (32767 = "N+"); null = "none". Field names are the JSON keys
// Kafka's JsonConverter prints (spec name with a lower-case first letter).
import type { MessageSchema } from './schema.js';

export const ${exportName}: readonly MessageSchema[] = [
${schemas.map(renderSchema).join(',\n')},
];
`;

if (check) {
  const cur = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
  if (cur !== text) {
    console.error(`${out} is out of date: run node scripts/gen-kafka-schemas.mjs`);
    process.exit(1);
  }
  console.log(`${out} is up to date (${schemas.length} specs)`);
} else {
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, text);
  console.log(`wrote ${out} (${schemas.length} specs)`);
}
