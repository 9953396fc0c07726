'use strict';
// A minimal HTTP service shaped for Berth: it serves everything under BASE_PATH (the project's path on the
// shared load balancer, which forwards the full path), answers the health check at BASE_PATH/health, listens
// on PORT, and stops cleanly on SIGTERM (ECS sends it before stopping a task).
const { Buffer } = require('node:buffer');
const http = require('node:http');
const { URL } = require('node:url');
const { setTimeout } = require('node:timers');

const DEFAULT_BASE_PATH = '/api/cash';
const DEFAULT_PORT = 8080;

function normalizeBasePath(value) {
  const trimmed = String(value || DEFAULT_BASE_PATH).replace(/\/+$/, '');
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

function createServer(options = {}) {
  const basePath = normalizeBasePath(options.basePath ?? process.env.BASE_PATH);
  const name = options.name ?? process.env.SERVICE_NAME ?? 'cash-collection';

  return http.createServer((req, res) => {
    const send = (status, body, headers = {}) => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': Buffer.byteLength(text),
        'Cache-Control': 'no-store',
        ...headers,
      });
      res.end(req.method === 'HEAD' ? undefined : text);
    };

    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(405, { error: 'method not allowed' }, { Allow: 'GET, HEAD' });
    } else if (pathname === `${basePath}/health`) {
      send(200, { status: 'ok' });
    } else if (pathname === basePath || pathname === `${basePath}/`) {
      send(200, { service: name, message: 'hello from Berth', version: process.env.APP_VERSION ?? 'dev' });
    } else {
      send(404, { error: 'not found', path: pathname });
    }
  });
}

function start() {
  const port = Number.parseInt(process.env.PORT ?? '', 10);
  const server = createServer();
  server.listen(Number.isInteger(port) && port >= 0 ? port : DEFAULT_PORT, () => {
    const address = server.address();
    console.log(JSON.stringify({ msg: 'listening', port: address.port }));
  });

  const stop = (signal) => {
    console.log(JSON.stringify({ msg: 'stopping', signal }));
    // Finish the requests in flight, refuse new ones, and give up after 10 s.
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return server;
}

module.exports = { createServer, start };

if (require.main === module) start();
