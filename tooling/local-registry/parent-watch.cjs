// pnpm passes no SIGTERM on to the script it runs, and a process killed with SIGKILL cannot stop its children, so
// the registry's processes watch for the loss of their parent: a process whose parent has died is reparented, and
// its parent pid changes. Polled, since Node has no parent-death signal.
const POLL_MS = 500;

/** Calls `onGone` once, when this process's parent has gone. Keeps no event loop alive. */
function watchParent(onGone) {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, POLL_MS);
  timer.unref();
}

module.exports = { watchParent };
