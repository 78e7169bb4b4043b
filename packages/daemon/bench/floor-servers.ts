// The two floors the daemon is measured against, each run as its own Node process on the same kind of socket:
// - the bare echo server answers each line at once: the cost of Node, the socket and JSON-free line framing;
// - the durable echo server appends each line to a file and fdatasyncs it before answering, with the daemon's
//   group-commit freedom (lines that arrive during a sync share the next one). That is the physical floor for the
//   daemon's guarantee that every decision is durable before its answer;
// - the same with the daemon's own way of making a write durable (the file opened O_DSYNC: one system call per
//   group instead of a write and an fdatasync), so the daemon is never measured against a floor slower than the
//   mechanism it uses.
// Both speak one line per request, so they serve persistent connections and one request per connection alike.

const FRAMING = `
// Each line is answered by a later call of answer(); the connection ends once the client has half-closed and every
// line it sent has been answered.
function lines(socket, onLine) {
  let pending = 0;
  let ended = false;
  const answer = (line) => {
    socket.write(line);
    if (--pending === 0 && ended) socket.end();
  };
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('error', () => {});
  socket.on('data', (chunk) => {
    buffer += chunk;
    for (let i = buffer.indexOf('\\n'); i !== -1; i = buffer.indexOf('\\n')) {
      pending++;
      onLine(buffer.slice(0, i + 1), answer);
      buffer = buffer.slice(i + 1);
    }
  });
  socket.on('end', () => {
    ended = true;
    if (buffer) { pending++; onLine(buffer + '\\n', answer); buffer = ''; }
    if (pending === 0) socket.end();
  });
}`;

export const ECHO_SERVER = `${FRAMING}
require('node:net').createServer({ allowHalfOpen: true }, (s) => lines(s, (line, answer) => answer(line))).listen(process.argv[1]);`;

/** The durable server; `O_DSYNC` makes each write durable, so it answers after the write alone. */
function durableServer(dsync: boolean): string {
  return `${FRAMING}
const fs = require('node:fs');
const { O_WRONLY, O_APPEND, O_CREAT, O_DSYNC } = fs.constants;
const fd = fs.openSync(process.argv[2], O_WRONLY | O_APPEND | O_CREAT${dsync ? ' | O_DSYNC' : ''}, 0o600);
let batch = [];
let syncing = false;
function flush() {
  if (syncing || batch.length === 0) return;
  syncing = true;
  const group = batch;
  batch = [];
  const done = () => {
    for (const entry of group) entry.answer(entry.line);
    syncing = false;
    flush();
  };
  fs.write(fd, group.map((entry) => entry.line).join(''), (writeError) => {
    if (writeError) throw writeError;
    ${dsync ? 'done();' : 'fs.fdatasync(fd, (syncError) => { if (syncError) throw syncError; done(); });'}
  });
}
require('node:net').createServer({ allowHalfOpen: true }, (s) => lines(s, (line, answer) => { batch.push({ answer, line }); flush(); }))
  .listen(process.argv[1]);`;
}

export const DURABLE_ECHO_SERVER = durableServer(false);
export const DSYNC_ECHO_SERVER = durableServer(true);
