'use strict';
/* global fetch */
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const { once } = require('node:events');
const path = require('node:path');
const { createServer } = require('../server');

async function listen(server) {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${server.address().port}`;
}

describe('the service under its base path', () => {
  const server = createServer({ basePath: '/api/cash' });
  let base;
  before(async () => {
    base = await listen(server);
  });
  after(() => server.close());

  it('answers the health check with 200 {"status":"ok"}', async () => {
    const res = await fetch(`${base}/api/cash/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  it('says hello at the base path', async () => {
    const res = await fetch(`${base}/api/cash`);
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.message, 'hello from Berth');
  });

  it('answers 404 outside the base path', async () => {
    const res = await fetch(`${base}/api/other/health`);
    assert.equal(res.status, 404);
  });

  it('refuses methods other than GET and HEAD', async () => {
    const res = await fetch(`${base}/api/cash/health`, { method: 'POST' });
    assert.equal(res.status, 405);
  });
});

describe('the base path', () => {
  it('comes from the options (or BASE_PATH), without a trailing slash', async () => {
    const server = createServer({ basePath: '/api/poultry/' });
    const base = await listen(server);
    try {
      const res = await fetch(`${base}/api/poultry/health`);
      assert.equal(res.status, 200);
    } finally {
      server.close();
    }
  });
});

describe('the process', () => {
  it('listens on PORT and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [path.join(__dirname, '..', 'server.js')], {
      env: { ...process.env, PORT: '0', BASE_PATH: '/api/cash' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    const port = await new Promise((resolve, reject) => {
      child.once('error', reject);
      child.stdout.on('data', (chunk) => {
        output += chunk;
        const match = /"port":(\d+)/.exec(output);
        if (match) resolve(Number(match[1]));
      });
    });
    const res = await fetch(`http://127.0.0.1:${port}/api/cash/health`);
    assert.equal(res.status, 200);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  });
});
