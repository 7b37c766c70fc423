// Validates Kubernetes documents against the kubernetes-models schemas, strictly.
//
// An ES module run as a child process (the model packages are ESM-only and Jest runs the tests as
// CommonJS). Reads {"documents": [...]} as JSON on stdin, writes one result per document on stdout:
// {"index", "kind", "name", "errors": [string]} — no errors means valid.
//
// Two checks per document, by apiVersion and kind:
//  1. the model's own validate(): types, enums, required fields, formats;
//  2. no unknown fields. The models' JSON schemas (compiled by ajv into the packages) do not forbid
//     extra properties, and the packages ship only the compiled validators, not the schemas. So the
//     check watches the validator: it validates a Proxy of the document that records which keys the
//     validator reads. A compiled validator reads every property its schema declares; it enumerates
//     an object's keys only when the schema allows arbitrary keys (a map such as labels). An object
//     whose declared properties were read but which holds a key that was never read has a field the
//     schema does not know. Objects the validator never looks into are free-form in the schema.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

/** apiVersion group → where its models live. */
function modelPath(apiVersion, kind) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (group === 'monitoring.coreos.com') return `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`;
  if (group.endsWith('cert-manager.io')) return `@kubernetes-models/cert-manager/${group}/${version}/${kind}`;
  return group === '' ? `kubernetes-models/${version}/${kind}` : `kubernetes-models/${group}/${version}/${kind}`;
}

async function loadModel(apiVersion, kind) {
  const spec = modelPath(apiVersion, kind);
  // The packages export ESM only: resolve the package root, then import the file.
  const [scopeOrName, maybeName, ...rest] = spec.split('/');
  const pkg = scopeOrName.startsWith('@') ? `${scopeOrName}/${maybeName}` : scopeOrName;
  const file = scopeOrName.startsWith('@') ? rest.join('/') : [maybeName, ...rest].join('/');
  let root;
  try {
    root = require.resolve(`${pkg}/package.json`);
  } catch {
    return undefined;
  }
  try {
    const mod = await import(pathToFileURL(root.replace(/package\.json$/, `${file}.js`)).href);
    return mod[kind];
  } catch {
    return undefined;
  }
}

/** Wraps a document so every key read and every key enumeration is recorded per object. */
function recorder() {
  const seen = new WeakMap();
  const wrap = (value) => {
    if (value === null || typeof value !== 'object') return value;
    if (!seen.has(value)) seen.set(value, { read: new Set(), enumerated: false });
    const record = seen.get(value);
    return new Proxy(value, {
      get(target, key, receiver) {
        if (typeof key === 'string') record.read.add(key);
        return wrap(Reflect.get(target, key, receiver));
      },
      has(target, key) {
        if (typeof key === 'string') record.read.add(key);
        return Reflect.has(target, key);
      },
      ownKeys(target) {
        record.enumerated = true;
        return Reflect.ownKeys(target);
      },
      getOwnPropertyDescriptor(target, key) {
        if (typeof key === 'string') record.read.add(key);
        return Reflect.getOwnPropertyDescriptor(target, key);
      },
    });
  };
  return { wrap, seen };
}

/** Paths of the fields the schema does not declare. */
function unknownFields(document, seen) {
  const found = [];
  const walk = (value, path) => {
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, `${path}[${i}]`));
      return;
    }
    const record = seen.get(value);
    if (!record) return; // never reached by the validator: free-form (or under a free-form object)
    if (!record.enumerated && record.read.size > 0) {
      for (const key of Object.keys(value)) if (!record.read.has(key)) found.push(`${path}.${key}`);
    }
    for (const [key, child] of Object.entries(value)) walk(child, `${path}.${key}`);
  };
  walk(document, '');
  return found.map((p) => p.slice(1));
}

function describe(error) {
  if (error && Array.isArray(error.errors)) {
    return error.errors.map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`);
  }
  return [String(error?.message ?? error)];
}

async function validate(document) {
  const errors = [];
  const { apiVersion, kind } = document ?? {};
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return ['apiVersion or kind missing'];
  const Model = await loadModel(apiVersion, kind);
  if (!Model) return [`no model for ${apiVersion} ${kind}`];
  try {
    new Model(document).validate();
  } catch (error) {
    errors.push(...describe(error));
  }
  const { wrap, seen } = recorder();
  const copy = JSON.parse(JSON.stringify(document));
  try {
    Model.prototype.validate.call(wrap(copy));
  } catch {
    // Already reported by the first check.
  }
  for (const path of unknownFields(copy, seen)) errors.push(`${path}: unknown field`);
  return errors;
}

let input = '';
process.stdin.setEncoding('utf8');
for await (const chunk of process.stdin) input += chunk;
const { documents } = JSON.parse(input);
const results = [];
for (const [index, document] of documents.entries()) {
  results.push({
    index,
    kind: document?.kind,
    name: document?.metadata?.name,
    errors: await validate(document),
  });
}
process.stdout.write(JSON.stringify(results));
