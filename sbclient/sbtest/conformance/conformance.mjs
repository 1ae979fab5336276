// Conformance of the Go fake Streamer.bot (sbtest) with the official
// @streamerbot/client (pinned in package.json), following section 12 of
// shared/specs/streamerbot-ws.md. Run by ../conformance_test.go:
//
//   node conformance.mjs '{"port":..,"enforcePort":..,"password":"..","control":"http://..",
//                          "instanceId":"..","version":"..","action":"..","setGlobalAction":".."}'
//
// "control" is a small HTTP endpoint of the Go test that drives the fake
// (broadcast, set a global, drop sockets) and returns its request log.
// Prints one "ok"/"FAIL" line per step; exit code 0 only when all pass.
import assert from 'node:assert/strict';
import { StreamerbotClient } from '@streamerbot/client';

const cfg = JSON.parse(process.argv[2] ?? '{}');
const host = '127.0.0.1';
const WAIT = 5000;
let failures = 0;

const watchdog = setTimeout(() => {
  console.log('FAIL watchdog: the script ran for over 60 s');
  process.exit(2);
}, 60000);

function deferred() {
  let resolve, reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

function within(promise, what, ms = WAIT) {
  let timer;
  const timeout = new Promise((_, rej) => {
    timer = setTimeout(() => rej(new Error(`timeout (${ms} ms) waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function control(path, body) {
  const res = await fetch(cfg.control + path, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`control ${path}: HTTP ${res.status}`);
  return res.json();
}

const requests = (server = 'main') => control(`/requests?server=${server}`);

async function waitUntil(what, pred, ms = WAIT) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timeout (${ms} ms) waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sorted = (events) => Object.fromEntries(Object.keys(events ?? {}).sort().map((k) => [k, [...events[k]].sort()]));
const lastConn = (log) => Math.max(0, ...log.map((r) => r.conn));
const onConn = (log, conn) => log.filter((r) => r.conn === conn).map((r) => r.request);

async function step(name, fn) {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (err) {
    failures++;
    console.log(`FAIL ${name}: ${err?.stack ?? err}`);
  }
}

// A client that records its callbacks.
function client(opts) {
  const rec = { connected: deferred(), disconnected: deferred(), connects: 0, errors: [] };
  rec.client = new StreamerbotClient({
    host, logLevel: 'none', autoReconnect: false, ...opts,
    onConnect: (info) => { rec.connects++; rec.connected.resolve(info); },
    onDisconnect: () => rec.disconnected.resolve(),
    onError: (err) => rec.errors.push(String(err?.message ?? err)),
  });
  return rec;
}

let main;

await step('1 connect with password: onConnect(info) with the fake identity', async () => {
  main = client({ port: cfg.port, password: cfg.password });
  const info = await within(main.connected.promise, 'onConnect');
  assert.equal(info.version, cfg.version);
  assert.equal(info.instanceId, cfg.instanceId);
});

await step('2 General.Custom: Subscribe sent, broadcast delivered', async () => {
  const got = deferred();
  await main.client.on('General.Custom', (payload) => got.resolve(payload));
  await waitUntil('Subscribe {General:[Custom]}', async () =>
    (await requests()).some((r) => r.request === 'Subscribe' && r.raw.events?.General?.includes('Custom')));
  await control('/broadcast', { hello: 'world', n: 1 });
  const ev = await within(got.promise, 'the General.Custom event');
  assert.deepEqual(ev.event, { source: 'General', type: 'Custom' });
  assert.deepEqual(ev.data, { hello: 'world', n: 1 });
  assert.equal(typeof ev.timeStamp, 'string');
});

await step('3 getActions: typed fields', async () => {
  const res = await main.client.getActions();
  assert.equal(res.status, 'ok');
  assert.equal(typeof res.count, 'number');
  const a = res.actions.find((x) => x.name === cfg.action);
  assert.ok(a, `action ${cfg.action} listed`);
  assert.equal(typeof a.id, 'string');
  assert.equal(a.enabled, true);
  assert.equal(typeof a.subaction_count, 'number');
});

await step('4 doAction by name with args: ok, logged as sent', async () => {
  const res = await main.client.doAction({ name: cfg.setGlobalAction }, { name: 'conformanceX', value: '1', persisted: 'true' });
  assert.equal(res.status, 'ok');
  const log = await requests();
  const sent = log.filter((r) => r.request === 'DoAction').at(-1);
  assert.deepEqual(sent.raw.action, { name: cfg.setGlobalAction });
  assert.deepEqual(sent.raw.args, { name: 'conformanceX', value: '1', persisted: 'true' });
});

await step('5 doAction unknown: rejects', async () => {
  await assert.rejects(main.client.doAction('does-not-exist'), /Request failed/);
});

await step('6 doAction with customEventResponse', async () => {
  const res = await main.client.doAction({ name: cfg.action }, { x: 1 }, { customEventResponse: true });
  assert.equal(res.status, 'ok');
  assert.equal(res.customEventResponseArgs?.x, 1);
});

await step('7 getGlobals / getGlobal / getGlobal missing', async () => {
  const all = await main.client.getGlobals();
  assert.equal(all.status, 'ok');
  assert.equal(all.variables.conformanceX?.value, 1, 'the helper stored "1" as a number');
  assert.equal(all.variables.greeting?.value, 'hello');
  const one = await main.client.getGlobal('greeting');
  assert.equal(one.status, 'ok');
  assert.equal(one.variable?.name, 'greeting');
  assert.equal(one.variable?.value, 'hello');
  assert.equal(typeof one.variable?.lastWrite, 'string');
  await assert.rejects(main.client.getGlobal('missing'), /Request failed/);
});

await step('8 Misc.GlobalVariableUpdated delivered', async () => {
  const got = deferred();
  await main.client.on('Misc.GlobalVariableUpdated', (payload) => got.resolve(payload));
  await waitUntil('Subscribe {Misc:[GlobalVariableUpdated]}', async () =>
    (await requests()).some((r) => r.request === 'Subscribe' && r.raw.events?.Misc?.includes('GlobalVariableUpdated')));
  await control('/set-global', { name: 'greeting', value: 'bye', persisted: true });
  const ev = await within(got.promise, 'the GlobalVariableUpdated event');
  assert.deepEqual(ev.event, { source: 'Misc', type: 'GlobalVariableUpdated' });
  assert.equal(ev.data.name, 'greeting');
  assert.equal(ev.data.oldValue, 'hello');
  assert.equal(ev.data.newValue, 'bye');
  assert.equal(ev.data.persisted, true);
  assert.equal(typeof ev.data.lastWrite, 'string');
  await main.client.disconnect();
});

await step('9a right password: Authenticate first, no GetInfo', async () => {
  const log = await requests();
  const first = onConn(log, log[0].conn);
  assert.equal(first[0], 'Authenticate');
  assert.ok(!first.includes('GetInfo'), `requests ${first}`);
});

await step('9b wrong password: onError + onDisconnect, no onConnect', async () => {
  const c = client({ port: cfg.port, password: 'not-the-password' });
  await within(c.disconnected.promise, 'onDisconnect');
  assert.equal(c.connects, 0);
  assert.ok(c.errors.length > 0, 'onError called');
  const log = await requests();
  assert.deepEqual(onConn(log, lastConn(log)), ['Authenticate']);
});

await step('9c enforce, no password: GetInfo first, closed, no onConnect', async () => {
  const c = client({ port: cfg.enforcePort });
  await within(c.disconnected.promise, 'onDisconnect');
  assert.equal(c.connects, 0);
  const log = await requests('enforce');
  assert.equal(onConn(log, lastConn(log))[0], 'GetInfo');
});

await step('9d auth on, not enforced, no password: onConnect via two GetInfo', async () => {
  const c = client({ port: cfg.port });
  await within(c.connected.promise, 'onConnect');
  const log = await requests();
  const reqs = onConn(log, lastConn(log));
  assert.ok(reqs.filter((r) => r === 'GetInfo').length >= 2, `requests ${reqs}`);
  assert.ok(!reqs.includes('Authenticate'), `requests ${reqs}`);
  await c.client.disconnect();
});

await step('10 reconnect after a dropped socket, fresh Subscribe with the same set', async () => {
  const c = client({ port: cfg.port, password: cfg.password, autoReconnect: true });
  const events = [];
  c.client.on('General.Custom', (p) => events.push(p));
  c.client.on('Misc.GlobalVariableUpdated', () => {});
  await within(c.connected.promise, 'onConnect');
  const before = await waitUntil('the first Subscribe', async () => {
    const log = await requests();
    return log.filter((r) => r.request === 'Subscribe' && r.conn === lastConn(log)).at(-1);
  });
  const want = { General: ['Custom'], Misc: ['GlobalVariableUpdated'] };
  assert.deepEqual(sorted(before.raw.events), want);
  await control('/drop', {});
  const after = await waitUntil('a Subscribe on a new connection', async () =>
    (await requests()).find((r) => r.request === 'Subscribe' && r.conn > before.conn));
  assert.deepEqual(sorted(after.raw.events), want);
  assert.ok(c.connects >= 2, 'onConnect again');
  await control('/broadcast', { after: 'reconnect' });
  await waitUntil('the event on the new connection', () => events.some((e) => e.data?.after === 'reconnect'));
  await c.client.disconnect();
});

clearTimeout(watchdog);
console.log(failures ? `${failures} step(s) failed` : 'all steps passed');
process.exit(failures ? 1 : 0);
