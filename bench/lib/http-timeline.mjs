// A loopback TCP proxy that records, per HTTP/1.1 request passing through it, when the request
// arrived, when the first byte of its answer came back and when the answer's last byte did: the
// per-request timeline of a client's session against a server, measured the same way for any
// server (bench:registry's BENCH_TIMELINE compares a pull from Hallmark and from Distribution).
// Requests without a body only (a pull's GETs and HEADs); answers are delimited by Content-Length
// or by the last chunk of a chunked body.
import net from 'node:net';

const METHOD = /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) (\S+) HTTP\/1\.[01]\r\n/;

/** Parses an answer's head: status, Content-Length, chunked, and the headers named in `keep`. */
function parseHead(head, keep) {
  const lines = head.split('\r\n');
  const status = Number(lines[0]?.split(' ')[1]);
  const headers = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) {
      headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
    }
  }
  const kept = Object.fromEntries(keep.filter((k) => k in headers).map((k) => [k, headers[k]]));
  return {
    status,
    length: headers['content-length'] === undefined ? undefined : Number(headers['content-length']),
    chunked: /chunked/i.test(headers['transfer-encoding'] ?? ''),
    headers: kept,
  };
}

/**
 * Starts the proxy to `target` (`host:port`); resolves with `{ port, requests, stop }`.
 * `requests` fills as requests complete: `{ conn, method, path, start, firstByte, end, status,
 * bytes, headers }`, times in ms from `performance.now()`. `keepHeaders` names response headers to
 * record.
 */
export function startTimelineProxy(target, keepHeaders = []) {
  const [host, port] = target.split(':');
  const requests = [];
  let connections = 0;
  const sockets = new Set();
  const server = net.createServer((client) => {
    const conn = ++connections;
    const upstream = net.connect(Number(port), host);
    sockets.add(client).add(upstream);
    const pending = [];
    let current;
    let headBuf = '';
    const finish = () => {
      current.end = performance.now();
      requests.push(current);
      current = undefined;
    };
    client.on('data', (chunk) => {
      const m = METHOD.exec(chunk.toString('latin1', 0, Math.min(chunk.length, 4096)));
      if (m) {
        pending.push({ conn, method: m[1], path: m[2], start: performance.now() });
      }
    });
    // Bytes go through pipes (back-pressure, ends passed on); the listeners only watch them.
    client.pipe(upstream);
    upstream.pipe(client);
    upstream.on('data', (chunk) => {
      let rest = chunk;
      while (rest.length > 0) {
        if (current === undefined) {
          const next = pending.shift();
          if (next === undefined) {
            return;
          }
          current = { ...next, firstByte: performance.now(), bytes: 0, bodyBytes: 0 };
          headBuf = '';
        }
        if (current.status === undefined) {
          headBuf += rest.toString('latin1');
          const end = headBuf.indexOf('\r\n\r\n');
          if (end < 0) {
            return;
          }
          const head = parseHead(headBuf.slice(0, end), keepHeaders);
          Object.assign(current, head);
          const consumed = rest.length - (headBuf.length - end - 4);
          current.bytes += consumed;
          rest = rest.subarray(consumed);
          headBuf = '';
          if (current.method === 'HEAD' || (!current.chunked && (current.length ?? 0) === 0)) {
            finish();
            continue;
          }
        }
        if (current.chunked) {
          current.bytes += rest.length;
          current.bodyBytes += rest.length;
          if (rest.subarray(-5).toString('latin1') === '0\r\n\r\n') {
            finish();
          }
          return;
        }
        const take = Math.min(rest.length, current.length - current.bodyBytes);
        current.bytes += take;
        current.bodyBytes += take;
        rest = rest.subarray(take);
        if (current.bodyBytes >= current.length) {
          finish();
        }
      }
    });
    const fail = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', fail).on('close', () => sockets.delete(client));
    upstream.on('error', fail).on('close', () => sockets.delete(upstream));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: server.address().port,
        requests,
        stop: () =>
          new Promise((done) => {
            for (const s of sockets) {
              s.destroy();
            }
            server.close(() => done());
          }),
      }),
    );
  });
}

/** Prints `requests` as a timeline from `t0` (ms): one line per request, in order of arrival. */
export function printTimeline(name, requests, t0, totalSeconds) {
  console.log(`timeline of one pull from ${name} (${totalSeconds.toFixed(2)} s in skopeo):`);
  console.log('   start   answer    last byte  conn  request → status (bytes)');
  for (const r of [...requests].sort((a, b) => a.start - b.start)) {
    const path = r.path.length > 60 ? `${r.path.slice(0, 57)}…` : r.path;
    const headers = Object.entries(r.headers ?? {})
      .map(([k, v]) => `${k}: ${v.length > 40 ? `${v.slice(0, 37)}…` : v}`)
      .join('; ');
    console.log(
      `  ${(r.start - t0).toFixed(0).padStart(6)}  ${(r.firstByte - r.start).toFixed(1).padStart(6)} ms  ${(r.end - t0).toFixed(0).padStart(8)}  ${String(r.conn).padStart(4)}  ${r.method} ${path} → ${r.status} (${r.bytes})${headers ? `  [${headers}]` : ''}`,
    );
  }
}
