// test-html-report.mjs -- the HTML report of the labs' reports, opened from disk in headless
// Chromium: it loads cleanly and offline, marks every stall on its thread's timeline, draws the
// flame graph from the folded stacks with the culprit as its widest frame, zooms, searches,
// sorts, draws the agent's histogram, and shows hostile report strings as text.
// LOOPSTALL=build/bin/loopstall node tests/browser/test-html-report.mjs  (CTest: test-html-report)
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { EXAMPLES, launch, render } from './browser.mjs';

const LOOPSTALL = process.env.LOOPSTALL;
const OUT = process.env.LOOPSTALL_TEST_OUT || join(process.cwd(), 'browser-out');
assert.ok(LOOPSTALL, 'set LOOPSTALL to the loopstall command under test');
mkdirSync(OUT, { recursive: true });

// Bounded: whatever hangs, the test ends within its time.
setTimeout(() => {
  console.error('test-html-report: still running after 150 s');
  process.exit(1);
}, 150000).unref();

const example = (name) => JSON.parse(readFileSync(join(EXAMPLES, `${name}.json`), 'utf8'));
// A variant of a lab's report, for fields the agent does not write yet or strings it never would.
function variant(name, base, change) {
  const report = example(base);
  change(report);
  const path = join(OUT, `${name}.json`);
  writeFileSync(path, JSON.stringify(report));
  return path;
}

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

// Opens a rendered report; records console errors, page errors, dialogs and every request.
async function open(name, inputs) {
  const html = render(LOOPSTALL, inputs, 'html', join(OUT, `${name}.html`));
  const page = await browser.context.newPage();
  page.setDefaultTimeout(10000);
  const seen = { errors: [], requests: [], dialogs: [] };
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') seen.errors.push(m.text());
  });
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  page.on('request', (r) => seen.requests.push(r.url()));
  page.on('dialog', (d) => {
    seen.dialogs.push(d.message());
    d.dismiss();
  });
  const url = pathToFileURL(html).href;
  await page.goto(url);
  await page.waitForSelector('#flame-graph > *');
  return { page, seen, url };
}

const flameFrames = (page) =>
  page.$$eval('#flame-graph .frame', (els) =>
    els.map((e) => {
      const r = e.getBoundingClientRect();
      return {
        name: e.dataset.name,
        ns: Number(e.dataset.ns),
        depth: Number(e.dataset.depth),
        left: r.left,
        width: r.width,
        match: e.classList.contains('match'),
        above: e.classList.contains('above'),
      };
    }),
  );
const flameWidth = (page) => page.$eval('#flame-graph', (e) => e.clientWidth);
const stallTotal = (report) => report.processes.flatMap((p) => p.stalls).reduce((a, s) => a + s.wall_ns, 0);
// The frame a reader should look at, as the renderers pick it: the innermost one with a source line.
const culpritFrame = (site) => site.stack.find((f) => f.line && f.symbol);

describe('the HTML report of a bad lab', () => {
  for (const lab of ['d3a-bad', 'd3b-bad']) {
    test(`${lab}: loads from disk with no console error and asks for nothing but itself`, async () => {
      const { page, seen, url } = await open(lab, [join(EXAMPLES, `${lab}.json`)]);
      assert.deepEqual(seen.errors, []);
      assert.deepEqual(
        seen.requests.filter((r) => r !== url && !r.startsWith('data:')),
        [],
      );
      await page.close();
    });

    test(`${lab}: the timeline has one mark per stall, on its own thread's lane`, async () => {
      const report = example(lab);
      const { page } = await open(lab, [join(EXAMPLES, `${lab}.json`)]);
      const marks = await page.$$eval('.timeline .mark', (els) => els.map((e) => Number(e.dataset.tid)));
      const stalls = report.processes.flatMap((p) => p.stalls);
      assert.equal(marks.length, stalls.length);
      assert.deepEqual(marks.sort(), stalls.map((s) => s.tid).sort());
      await page.close();
    });

    test(`${lab}: the flame graph holds all stall time, on the folded output's stacks`, async () => {
      const report = example(lab);
      const { page } = await open(lab, [join(EXAMPLES, `${lab}.json`)]);
      const frames = await flameFrames(page);
      assert.equal(frames.find((f) => f.depth === 0).ns, stallTotal(report));
      // Every folded stack's leaf is a flame-graph frame at that depth holding (in us) its lines.
      const folded = render(LOOPSTALL, [join(EXAMPLES, `${lab}.json`)], 'folded', join(OUT, `${lab}.folded`));
      const byPath = new Map();
      for (const line of readFileSync(folded, 'utf8').trim().split('\n')) {
        const at = line.lastIndexOf(' '),
          path = line.slice(0, at);
        const entry = byPath.get(path) || { us: 0, lines: 0 };
        entry.us += Number(line.slice(at + 1));
        entry.lines += 1;
        byPath.set(path, entry);
      }
      const tree = await page.evaluate(
        () => JSON.parse(document.getElementById('ls-data').textContent).flame,
      );
      const clean = (name) => name.replace(/;/g, ':').replace(/ /g, '_');
      for (const [path, { us, lines }] of byPath) {
        let n = tree;
        for (const name of path.split(';'))
          n = n.children.find((c) => clean(c.name) === name || c.name === name);
        assert.ok(n, `folded stack ${path} is in the flame graph`);
        const leafNs = n.ns - n.children.reduce((a, c) => a + c.ns, 0);
        assert.ok(
          Math.abs(leafNs / 1000 - us) <= lines,
          `${path}: ${leafNs} ns in the graph, ${us} us folded`,
        );
      }
      await page.close();
    });

    test(`${lab}: the largest site's culprit is the widest frame but for its callers, as wide as the site's total`, async () => {
      const report = example(lab);
      const site = report.processes.flatMap((p) => p.sites).sort((a, b) => b.total_ns - a.total_ns)[0];
      const culprit = culpritFrame(site).symbol;
      assert.equal(culprit, { 'd3a-bad': 'bad_request', 'd3b-bad': 'lab_cpu_job' }[lab]);
      const { page } = await open(lab, [join(EXAMPLES, `${lab}.json`)]);
      const frames = await flameFrames(page),
        width = await flameWidth(page);
      const c = frames.find((f) => f.name === culprit);
      assert.equal(c.ns, site.total_ns);
      assert.ok(
        Math.abs(c.width - (width * site.total_ns) / stallTotal(report)) <= 1.5,
        `${c.width} px of ${width}`,
      );
      const callers = (f) =>
        f.depth < c.depth && f.left <= c.left + 0.5 && f.left + f.width >= c.left + c.width - 0.5;
      for (const f of frames.filter((f) => f !== c && !callers(f)))
        assert.ok(
          f.width <= c.width + 0.5,
          `${f.name} (${f.width} px) is wider than ${culprit} (${c.width} px)`,
        );
      await page.close();
    });
  }

  test('d3a-bad: hovering a stall mark names its duration, class, culprit call and target, and frame', async () => {
    const { page } = await open('d3a-bad', [join(EXAMPLES, 'd3a-bad.json')]);
    const stalls = example('d3a-bad').processes[0].stalls;
    const worst = stalls.reduce((w, s) => (s.wall_ns > w.wall_ns ? s : w));
    await page.hover(`.mark[data-stall="${stalls.indexOf(worst)}"]`);
    const tip = await page.textContent('#ls-tip');
    assert.match(tip, new RegExp(`${(worst.wall_ns / 1e6).toFixed(1)} ms blocking stall`));
    assert.match(tip, /culprit: poll on 127\.0\.0\.1:\d+ \(one of \d+ calls\)/);
    assert.match(tip, /at bad_request \(d3a\.c:57\)/);
    await page.close();
  });

  test('d3a-bad: clicking a frame zooms it to the full width; clicking the top row zooms out', async () => {
    const { page } = await open('d3a-bad', [join(EXAMPLES, 'd3a-bad.json')]);
    const width = await flameWidth(page);
    const before = (await flameFrames(page)).find((f) => f.name === '[poll]');
    assert.ok(before.width < width / 2, `[poll] starts at ${before.width} px of ${width}`);
    await page.click('#flame-graph .frame[data-name="[poll]"]');
    const zoomed = await flameFrames(page);
    const poll = zoomed.find((f) => f.name === '[poll]');
    assert.ok(Math.abs(poll.width - width) <= 1.5, `[poll] is ${poll.width} px of ${width} after the click`);
    assert.ok(!zoomed.some((f) => f.name === '[calls not kept]'), 'frames beside the zoomed one are gone');
    assert.ok(
      zoomed.filter((f) => f.depth < poll.depth).every((f) => f.above),
      'its callers stay above it',
    );
    await page.click('#flame-graph .frame[data-depth="0"]');
    const out = (await flameFrames(page)).find((f) => f.name === '[poll]');
    assert.ok(Math.abs(out.width - before.width) <= 0.5, 'zoomed out again');
    await page.close();
  });

  test('d3a-bad: searching highlights the matching frames and says their share of stall time', async () => {
    const report = example('d3a-bad');
    const { page } = await open('d3a-bad', [join(EXAMPLES, 'd3a-bad.json')]);
    await page.fill('#flame-search', '[poll]');
    const frames = await flameFrames(page);
    assert.deepEqual(
      frames.filter((f) => f.match).map((f) => f.name),
      ['[poll]'],
    );
    const kept = report.processes[0].stalls.flatMap((s) => s.calls).reduce((a, c) => a + c.wall_ns, 0);
    const share = ((100 * kept) / stallTotal(report)).toFixed(1);
    assert.match(
      await page.textContent('#flame-found'),
      new RegExp(`^1 frame match: .*, ${share}% of stall time$`),
    );
    await page.fill('#flame-search', 'libcurl');
    assert.deepEqual(
      (await flameFrames(page)).filter((f) => f.match).map((f) => f.name),
      ['curl_easy_perform', 'curl_multi_poll', 'libcurl.so.4+0x4c295', 'libcurl.so.4+0x575df'],
    );
    await page.fill('#flame-search', '');
    assert.equal((await flameFrames(page)).filter((f) => f.match).length, 0);
    await page.close();
  });
});

describe('the HTML report of several processes', () => {
  const inputs = [join(EXAMPLES, 'd3a-bad.json'), join(EXAMPLES, 'd3b-bad.json')];
  test('the sites table sorts by the heading clicked, descending then ascending', async () => {
    const { page } = await open('d3a-d3b', inputs);
    const column = (name) =>
      page.$$eval('#sites-table tbody tr', (rows, n) => rows.map((r) => r.cells[n].textContent), name);
    const heading = (text) => page.click(`#sites-table th:text-is("${text}")`);
    assert.deepEqual(await column(5), ['1.63 s', '1.50 s']);
    await heading('count');
    assert.deepEqual(await column(4), ['5', '2']);
    await heading('count');
    assert.deepEqual(await column(4), ['2', '5']);
    await heading('class');
    assert.deepEqual(await column(2), ['cpu', 'blocking']);
    assert.equal(await page.getAttribute('#sites-table th:text-is("class")', 'aria-sort'), 'descending');
    await page.close();
  });

  test('zooming into one process hides the other', async () => {
    const { page } = await open('d3a-d3b', inputs);
    assert.ok((await flameFrames(page)).some((f) => f.name === 'lab_cpu_job'));
    await page.click('#flame-graph .frame[data-name="bad_request"]');
    const frames = await flameFrames(page);
    assert.ok(!frames.some((f) => f.name === 'lab_cpu_job'));
    assert.ok(Math.abs(frames.find((f) => f.name === 'bad_request').width - (await flameWidth(page))) <= 1.5);
    await page.close();
  });
});

describe('the HTML report of what the agent is about to write', () => {
  test('a startup stall is drawn apart from the serving ones, and says so on hover', async () => {
    const input = variant('d3b-startup', 'd3b-bad', (r) => {
      r.processes[0].stalls[0].phase = 'startup';
    });
    const { page, seen } = await open('d3b-startup', [input]);
    const marks = await page.$$eval('.timeline .mark', (els) =>
      els.map((e) => ({
        startup: e.classList.contains('startup'),
        fill: e.getAttribute('fill'),
        stall: e.dataset.stall,
      })),
    );
    assert.deepEqual(
      marks.filter((m) => m.startup).map((m) => m.stall),
      ['0'],
    );
    assert.match(marks.find((m) => m.startup).fill, /^url\(#hatch-/);
    assert.ok(marks.filter((m) => !m.startup).every((m) => m.fill === null));
    await page.hover('.mark[data-stall="0"]');
    assert.match(await page.textContent('#ls-tip'), /cpu stall at startup/);
    assert.deepEqual(seen.errors, []);
    await page.close();
  });

  // The agent's scheme (preload/loop.c hist_bucket), written out again to check the page's decoding.
  const bucket = (ns) => {
    if (ns < 8) return ns;
    const msb = Math.floor(Math.log2(ns));
    return ((msb - 2) << 3) + (Math.floor(ns / 2 ** (msb - 3)) & 7);
  };

  test("the agent's iteration histogram is drawn when the report has one, each bar covering its bucket", async () => {
    const counts = [
      [1e6, 40],
      [3.1e8, 4],
      [2.2e8, 1],
      [5, 7],
    ].map(([ns, n]) => [bucket(ns), n]);
    const input = variant('d3b-hist', 'd3b-bad', (r) => {
      r.processes[0].loops[0].iteration_hist = { bucket_bits: 3, counts };
    });
    const { page } = await open('d3b-hist', [input]);
    assert.equal(await page.getAttribute('.hist', 'data-source'), 'agent');
    assert.match(
      await page.textContent('.hist .caption'),
      /^All 6 iterations, from the agent's iteration histogram\.$/,
    );
    const bars = await page.$$eval('.hist .bar', (els) =>
      els.map((e) => ({
        lo: Number(e.dataset.lo),
        hi: Number(e.dataset.hi),
        n: Number(e.dataset.n),
        over: e.classList.contains('over'),
      })),
    );
    assert.deepEqual(
      bars.map((b) => b.n),
      [7, 40, 1, 4],
    );
    for (const [ns, b] of [
      [5, bars[0]],
      [1e6, bars[1]],
      [2.2e8, bars[2]],
      [3.1e8, bars[3]],
    ]) {
      assert.ok(b.lo <= ns && ns < b.hi, `${ns} ns in [${b.lo}, ${b.hi})`);
      assert.ok(b.hi - b.lo <= Math.max(1, b.lo / 8), `[${b.lo}, ${b.hi}) is one eighth of an octave`);
    }
    assert.deepEqual(
      bars.map((b) => b.over),
      [false, false, true, true],
    );
    await page.close();
  });

  test('a histogram the page cannot read is named, and the stalls are drawn instead', async () => {
    const input = variant('d3b-badhist', 'd3b-bad', (r) => {
      r.processes[0].loops[0].iteration_hist = { bucket_bits: 40, counts: [] };
    });
    const { page } = await open('d3b-badhist', [input]);
    assert.equal(await page.getAttribute('.hist', 'data-source'), 'stalls');
    assert.match(
      await page.textContent('.hist .caption'),
      /iteration_hist was not used \(bucket_bits must be an integer from 1 to 16\)/,
    );
    const n = await page.$$eval('.hist .bar', (els) => els.reduce((a, e) => a + Number(e.dataset.n), 0));
    assert.equal(n, 5);
    await page.close();
  });

  test('without a histogram the page says it estimates from the stalls', async () => {
    const { page } = await open('d3b-bad', [join(EXAMPLES, 'd3b-bad.json')]);
    assert.match(
      await page.textContent('.hist .caption'),
      /^Estimated: the report has no iteration histogram; the bars are this loop's 5 stalls, the lines mark p50, p99 and max of all 6 iterations\.$/,
    );
    await page.close();
  });
});

describe('the HTML report of untrusted input', () => {
  test('names, paths, argv and targets that look like markup or script stay text', async () => {
    const evil = '</script><script>window.pwned=1</script>';
    const input = variant('hostile', 'd3a-bad', (r) => {
      r.command[0] = evil;
      const p = r.processes[0];
      p.argv[0] = `/x/${evil}`;
      p.loops[0].name = '</script><script>window.pwned=4</script><!--';
      p.loops[1].name = '<img src=x onerror="window.pwned=2">';
      p.stalls[0].calls[0].target = '"><svg onload="window.pwned=3">';
      /* A frame nothing can re-symbolize (no module) or share with another: its name is the input's. */
      p.stalls[0].calls[0].stack[4] = { symbol: "x</code><b id=injected>b</b>\u2028'", module: null, offset: '0x1' };
      p.stalls[0].calls[0].fn = '<i id=injected>';
    });
    const { page, seen } = await open('hostile', [input]);
    assert.deepEqual(seen.errors, []);
    assert.deepEqual(seen.dialogs, []);
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    assert.equal(await page.$$eval('#injected, img, body svg[onload]', (els) => els.length), 0);
    assert.equal(await page.title(), `loopstall: ${evil}`);
    assert.match(await page.textContent('.meta'), /<\/script><script>window\.pwned=1<\/script>/);
    assert.ok(
      (await page.$$eval('#sites-table tbody code', (els) => els.map((e) => e.textContent))).includes(
        '<i id=injected>',
      ),
    );
    assert.ok((await flameFrames(page)).some((f) => f.name === "x</code><b id=injected>b</b>\u2028'"));
    const lanes = await page.$$eval('.timeline .lane-label', (els) => els.map((e) => e.textContent));
    assert.deepEqual(lanes, [
      '</script><script>window.pwned=4</script><!-- (tid 28954)',
      '<img src=x onerror="window.pwned=2"> (tid 28953)',
    ]);
    await page.hover('.mark[data-stall="0"]');
    assert.match(
      await page.textContent('#ls-tip'),
      /culprit: <i id=injected> on "><svg onload="window\.pwned=3">/,
    );
    await page.close();
  });
});

describe('the HTML report of a good lab', () => {
  test('d3a-good: no stalls, no marks, and the flame graph says there is nothing to show', async () => {
    const { page, seen } = await open('d3a-good', [join(EXAMPLES, 'd3a-good.json')]);
    assert.deepEqual(seen.errors, []);
    assert.equal(await page.$$eval('.timeline .mark', (els) => els.length), 0);
    assert.equal(await page.$$eval('.timeline .lane', (els) => els.length), 2);
    assert.equal(await page.textContent('#flame-graph'), 'No stall time to show.');
    assert.match(await page.textContent('.verdict'), /^0 stalls over 20\.0 ms in 2 loops/);
    assert.equal(await page.getAttribute('.verdict', 'class'), 'verdict good');
    assert.match(
      await page.textContent('.hist .caption'),
      /; this loop had no stall, the lines mark p50, p99 and max/,
    );
    await page.screenshot({ path: join(OUT, 'd3a-good.png'), fullPage: true });
    await page.close();
  });
});

describe('the HTML report of a finding without stalls', () => {
  test('stress-unbounded: no stall, yet the headline is not good and points at the fan-out', async () => {
    const { page, seen } = await open('stress-unbounded', [join(EXAMPLES, 'stress-unbounded.json')]);
    assert.deepEqual(seen.errors, []);
    assert.equal(await page.getAttribute('.verdict', 'class'), 'verdict bad');
    assert.match(await page.textContent('.verdict'), /^0 stalls .*; 1 finding$/);
    assert.match(
      await page.textContent('#findings li'),
      /unbounded fan-out, 333 threads alive at once \(limit 64\), created at on_tick \(stress\.c:120\)/,
    );
    await page.close();
  });
});
