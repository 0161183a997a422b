import assert from "node:assert/strict";
import { formatEvent, getLogLevel, logEnabled, LogWriter, setLogLevel } from "./log.ts";

function writer(opts = {}) {
  const lines: string[] = [];
  const clock = { now: 0 };
  const w = new LogWriter((l) => lines.push(l), () => clock.now, {
    windowMs: 10_000,
    burst: 2,
    ...opts,
  });
  return { w, lines, clock };
}

Deno.test("a log line is LEVEL component: message key=value, quoting values with spaces", () => {
  const { w, lines } = writer();
  w.line(
    "info",
    "router",
    formatEvent("tunnel up", { peer: "edge", note: "a b", n: 3, x: undefined }),
  );
  assert.deepEqual(lines, [`INFO  router: tunnel up peer=edge note="a b" n=3`]);
});

Deno.test("identical lines beyond the burst are held back and summarised when the window ends", () => {
  const { w, lines, clock } = writer();
  for (let i = 0; i < 7; i++) {
    w.line("warn", "datapath", "send failed errno=101");
    clock.now += 100;
  }
  assert.equal(lines.length, 2);
  assert.ok(w.holding);
  clock.now = 10_000;
  w.expire();
  assert.deepEqual(lines.slice(2), [
    "WARN  datapath: last message repeated 5 more times in 10s: send failed errno=101",
  ]);
  assert.ok(!w.holding);
  // A new window starts afresh.
  w.line("warn", "datapath", "send failed errno=101");
  assert.equal(lines.length, 4);
});

Deno.test("different lines are limited independently, interleaved or not", () => {
  const { w, lines } = writer();
  for (let i = 0; i < 4; i++) {
    w.line("info", "a", "one");
    w.line("info", "a", "two");
  }
  assert.deepEqual(lines, ["INFO  a: one", "INFO  a: two", "INFO  a: one", "INFO  a: two"]);
  w.flush();
  assert.deepEqual(lines.slice(4), [
    "INFO  a: last message repeated 2 more times in 1s: one",
    "INFO  a: last message repeated 2 more times in 1s: two",
  ]);
});

Deno.test("a line seen again after its window is printed, with the summary first", () => {
  const { w, lines, clock } = writer();
  for (let i = 0; i < 3; i++) w.line("info", "c", "x");
  clock.now = 12_000;
  w.line("info", "c", "x");
  assert.deepEqual(lines, [
    "INFO  c: x",
    "INFO  c: x",
    "INFO  c: last message repeated 1 more time in 12s: x",
    "INFO  c: x",
  ]);
});

Deno.test("the number of tracked lines is bounded; the oldest is summarised when dropped", () => {
  const { w, lines } = writer({ maxTracked: 2 });
  for (let i = 0; i < 3; i++) w.line("info", "c", "first");
  w.line("info", "c", "second");
  w.line("info", "c", "third");
  assert.deepEqual(lines, [
    "INFO  c: first",
    "INFO  c: first",
    "INFO  c: second",
    "INFO  c: last message repeated 1 more time in 1s: first",
    "INFO  c: third",
  ]);
});

Deno.test("the log level filters and can be changed at run time", () => {
  const before = getLogLevel();
  try {
    setLogLevel("warn");
    assert.equal(getLogLevel(), "warn");
    assert.ok(logEnabled("error") && logEnabled("warn"));
    assert.ok(!logEnabled("info") && !logEnabled("debug"));
    setLogLevel("debug");
    assert.ok(logEnabled("debug"));
  } finally {
    setLogLevel(before);
  }
});
