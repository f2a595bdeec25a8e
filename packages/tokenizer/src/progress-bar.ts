/**
 * Progress reporting for long runs on stderr: a redrawn bar when stderr is a terminal, and a plain
 * line every tenth of the work otherwise (so CI logs stay readable). Rendering only; the caller
 * decides whether a run is long enough to deserve one.
 */

export interface Progress {
  update(done: number): void;
  finish(): void;
}

export function createProgress(label: string, total: number): Progress {
  const tty = process.stderr.isTTY === true;
  const started = performance.now();
  let lastDraw = 0;
  let lastTenth = 0;
  const line = (done: number) => {
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const width = 30;
    const filled = Math.round((done / total) * width);
    return `${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total} ${seconds}s`;
  };
  return {
    update(done) {
      if (tty) {
        const now = performance.now();
        if (now - lastDraw < 100) return; // redrawing faster than the eye is wasted syscalls
        lastDraw = now;
        process.stderr.write(`\r${line(done)}`);
        return;
      }
      const tenth = Math.floor((done * 10) / total);
      if (tenth > lastTenth) {
        lastTenth = tenth;
        process.stderr.write(`${line(done)}\n`);
      }
    },
    finish() {
      if (tty) process.stderr.write(`\r${line(total)}\n`);
    },
  };
}
