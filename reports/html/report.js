// report.js -- draws the loopstall HTML report from the data render_html.c embeds: per loop thread
// a timeline of its stalls and a histogram of its iteration times, a flame graph of stall time
// (click to zoom, search), and sortable tables. Strings from the report reach the page only
// through textContent and setAttribute, never as markup: a report is untrusted input.
'use strict';
(function () {
  const data = JSON.parse(document.getElementById('ls-data').textContent);
  const SVG = 'http://www.w3.org/2000/svg';

  // The same wording as the C renderers' ls_fmt_ns.
  function fmtNs(ns) {
    if (ns >= 1e10) return (ns / 1e9).toFixed(1) + ' s';
    if (ns >= 1e9) return (ns / 1e9).toFixed(2) + ' s';
    if (ns >= 1e6) return (ns / 1e6).toFixed(1) + ' ms';
    if (ns >= 1e3) return Math.floor(ns / 1e3) + ' us';
    return Math.round(ns) + ' ns';
  }

  function node(ns, tag, attrs, text) {
    const e = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  const html = (tag, attrs, text) => node(null, tag, attrs, text);
  const svg = (tag, attrs, text) => node(SVG, tag, attrs, text);

  // One hover card for everything; lines() is called when the pointer arrives.
  const tip = html('div', { id: 'ls-tip', role: 'tooltip', hidden: '' });
  document.body.appendChild(tip);
  function placeTip(ev) {
    const pad = 14;
    const r = tip.getBoundingClientRect();
    let x = ev.clientX + pad;
    let y = ev.clientY + pad;
    if (x + r.width > window.innerWidth) x = Math.max(0, ev.clientX - r.width - pad);
    if (y + r.height > window.innerHeight) y = Math.max(0, ev.clientY - r.height - pad);
    tip.style.left = x + 'px';
    tip.style.top = y + 'px';
  }
  function hover(el, lines) {
    el.addEventListener('mouseenter', (ev) => {
      tip.replaceChildren(
        ...lines()
          .filter(Boolean)
          .map((l, i) => html('div', i ? {} : { class: 'tip-head' }, l)),
      );
      tip.hidden = false;
      placeTip(ev);
    });
    el.addEventListener('mousemove', placeTip);
    el.addEventListener('mouseleave', () => {
      tip.hidden = true;
    });
  }

  // A 1-2-5 step that puts about n ticks on [0, end].
  function niceStep(end, n) {
    const raw = end / n;
    const mag = 10 ** Math.floor(Math.log10(raw));
    return [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  }

  // Timeline: one lane per loop thread, one mark per stall, at least 2 px wide.
  const LANE = 34; // px per lane
  const LABEL = 210; // px for the thread names
  const AXIS = 20; // px for the time axis
  function drawTimeline(proc, pi, box) {
    const width = Math.max(box.clientWidth, 520);
    const lanes = proc.loops.map((l) => ({
      tid: l.tid,
      label: `${l.name} (tid ${l.tid})`,
      sub: `${l.iterations} iterations, busy ${l.observed_ns ? ((100 * l.busy_ns) / l.observed_ns).toFixed(1) : '?'}%`,
    }));
    for (const s of proc.stalls)
      if (!lanes.some((l) => l.tid === s.tid))
        lanes.push({ tid: s.tid, label: `thread ${s.tid}`, sub: 'not a tracked loop' });
    const end = Math.max(proc.uptime_ns, 1, ...proc.stalls.map((s) => s.start_ns + s.wall_ns));
    const plot = width - LABEL - 10;
    const x = (ns) => LABEL + (ns / end) * plot;
    const height = lanes.length * LANE + AXIS;
    const root = svg('svg', {
      width,
      height,
      role: 'img',
      'aria-label': `timeline of process ${proc.pid}: ${proc.stalls.length} stalls`,
    });
    const defs = svg('defs');
    for (const cls of ['blocking', 'cpu', 'mixed', 'strict', 'other']) {
      const p = svg('pattern', {
        id: `hatch-${pi}-${cls}`,
        width: 6,
        height: 6,
        patternUnits: 'userSpaceOnUse',
        patternTransform: 'rotate(45)',
      });
      p.append(
        svg('rect', { width: 6, height: 6, fill: '#fff' }),
        svg('rect', { width: 3, height: 6, class: `hatch ${cls}` }),
      );
      defs.append(p);
    }
    root.append(defs);
    const step = niceStep(end, Math.max(2, Math.floor(plot / 110)));
    for (let t = 0; t <= end; t += step) {
      root.append(svg('line', { class: 'tick', x1: x(t), x2: x(t), y1: 0, y2: height - AXIS + 4 }));
      root.append(
        svg(
          'text',
          { class: 'axis', x: x(t), y: height - 5, 'text-anchor': t ? 'middle' : 'start' },
          t ? fmtNs(t).replace(/\.0+ /, ' ') : '0',
        ),
      );
    }
    lanes.forEach((lane, i) => {
      const y = i * LANE;
      root.append(svg('rect', { class: 'lane', x: LABEL, y: y + 4, width: plot, height: LANE - 8, rx: 3 }));
      root.append(svg('text', { class: 'lane-label', x: 0, y: y + 15 }, lane.label));
      root.append(svg('text', { class: 'lane-sub', x: 0, y: y + 28 }, lane.sub));
      proc.stalls.forEach((s, si) => {
        if (s.tid !== lane.tid) return;
        const startup = s.phase === 'startup';
        const m = svg('rect', {
          class: `mark ${s.class}${startup ? ' startup' : ''}`,
          'data-stall': si,
          'data-tid': s.tid,
          x: x(s.start_ns),
          y: y + 4,
          width: Math.max(2, x(s.start_ns + s.wall_ns) - x(s.start_ns)),
          height: LANE - 8,
          rx: 2,
        });
        if (startup) m.setAttribute('fill', `url(#hatch-${pi}-${s.class})`);
        hover(m, () => [
          `${fmtNs(s.wall_ns)} ${s.class} stall${startup ? ' at startup' : ''}${s.ongoing ? ' (ongoing)' : ''}`,
          `at +${fmtNs(s.start_ns)} in thread ${s.tid}; blocked ${fmtNs(s.blocked_ns)}, cpu ${fmtNs(s.cpu_ns)}`,
          s.culprit
            ? `culprit: ${s.culprit}${s.calls > 1 ? ` (one of ${s.calls} calls)` : ''}`
            : 'culprit: no intercepted call (CPU, or a wait loopstall does not see)',
          s.frame ? `at ${s.frame}` : null,
        ]);
        root.append(m);
      });
    });
    box.replaceChildren(root);
  }

  // Histogram of iteration times: log time axis, log count axis, the threshold as a line.
  const HH = 150; // px: height, and the margins left, bottom and top
  const HL = 34;
  const HB = 20;
  const HT = 14;
  const decadeName = (v) =>
    ['1 ns', '10 ns', '100 ns', '1 us', '10 us', '100 us', '1 ms', '10 ms', '100 ms', '1 s', '10 s', '100 s'][
      Math.round(Math.log10(v))
    ] || fmtNs(v);
  function drawHist(loop, box, perRow) {
    const HW = Math.floor(Math.min(640, Math.max(360, (box.clientWidth - 28 * (perRow - 1)) / perRow - 4)));
    const thr = data.threshold_ns;
    const bars = loop.hist.bars;
    const marks = [
      ['p50', loop.p50],
      ['p99', loop.p99],
      ['max', loop.max],
    ].filter((q) => q[1] > 0);
    // Whole decades around the bars, the quantiles and the threshold.
    const values = [thr, ...bars.flatMap((b) => [b[0], b[1]]), ...marks.map((q) => q[1])];
    const lo = 10 ** Math.floor(Math.log10(Math.max(1, Math.min(...values) / 1.5)));
    const hi = 10 ** Math.ceil(Math.log10(Math.max(...values) * 1.5));
    const x = (v) =>
      HL +
      ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (HW - HL - 6);
    const top = Math.max(1, ...bars.map((b) => b[2]));
    const y = (n) => HT + (HH - HT - HB) * (1 - Math.log10(n + 1) / Math.log10(top + 1));
    const figure = html('div', { class: 'hist', 'data-tid': loop.tid, 'data-source': loop.hist.source });
    figure.style.width = HW + 'px';
    figure.append(
      html('h4', {}, `Iteration times, ${loop.name} (tid ${loop.tid})`),
      html('p', { class: 'caption' }, loop.hist.caption),
    );
    const root = svg('svg', {
      width: HW,
      height: HH,
      role: 'img',
      'aria-label': `iteration time histogram of thread ${loop.tid}`,
    });
    for (let d = lo; d <= hi; d *= 10) {
      root.append(svg('line', { class: 'tick', x1: x(d), x2: x(d), y1: HT, y2: HH - HB }));
      root.append(
        svg(
          'text',
          { class: 'axis', x: x(d), y: HH - 6, 'text-anchor': d * 10 > hi ? 'end' : 'middle' },
          decadeName(d),
        ),
      );
    }
    const counts = [];
    for (let n = 1; n <= top; n *= 10) counts.push(n);
    if (counts[counts.length - 1] * 2 <= top) counts.push(top);
    for (const n of counts)
      root.append(svg('text', { class: 'axis', x: HL - 4, y: y(n) + 4, 'text-anchor': 'end' }, String(n)));
    // Half the iterations took at most p50, and all but one in a hundred at most p99.
    if (loop.p50 > 0 && loop.p99 > loop.p50)
      root.append(
        svg('rect', {
          class: 'quantile-band',
          x: x(loop.p50),
          y: HT,
          width: x(loop.p99) - x(loop.p50),
          height: HH - HT - HB,
        }),
      );
    for (const [blo, bhi, n] of bars) {
      const bar = svg('rect', {
        class: `bar${blo >= thr ? ' over' : ''}`,
        'data-lo': blo,
        'data-hi': bhi,
        'data-n': n,
        x: x(blo),
        y: y(n),
        width: Math.max(3, x(bhi) - x(blo)),
        height: HH - HB - y(n),
      });
      hover(bar, () => [`${n} iteration${n === 1 ? '' : 's'}`, `${fmtNs(blo)} to ${fmtNs(bhi)}`]);
      root.append(bar);
    }
    // Labels go on whichever side of their line has room.
    const label = (cls, at, yy, text) => {
      const right = at + 110 < HW;
      root.append(
        svg(
          'text',
          { class: cls, x: right ? at + 3 : at - 3, y: yy, 'text-anchor': right ? 'start' : 'end' },
          text,
        ),
      );
    };
    marks.forEach(([name, v], i) => {
      root.append(svg('line', { class: 'quantile', x1: x(v), x2: x(v), y1: HT, y2: HH - HB }));
      label('quantile-label', x(v), HT + 20 + 11 * i, `${name} ${fmtNs(v)}`);
    });
    root.append(svg('line', { class: 'threshold', x1: x(thr), x2: x(thr), y1: 2, y2: HH - HB }));
    label('threshold-label', x(thr), 10, `threshold ${fmtNs(thr)}`);
    figure.append(root);
    box.append(figure);
  }

  // Flame graph: the root on top, each frame as wide as its stall time, widest first.
  const ROW = 18;
  const flame = data.flame;
  let focus = flame; // the frame drawn full width
  let query = ''; // what the search box holds, lower case
  (function prepare(n, parent, depth, x0) {
    n.parent = parent;
    n.depth = depth;
    n.x0 = x0;
    n.w = flame.ns ? n.ns / flame.ns : 0;
    n.children.sort((a, b) => b.ns - a.ns || (a.name < b.name ? -1 : 1));
    let x = x0;
    for (const c of n.children) {
      prepare(c, n, depth + 1, x);
      x += c.w;
    }
  })(flame, null, 0, 0);
  const palette = {
    root: [220, 10, 82],
    proc: [215, 22, 72],
    src: [28, 82, 62],
    lib: [45, 60, 70],
    py: [170, 45, 60],
    js: [95, 45, 60],
    call: [352, 70, 50],
    more: [352, 45, 62],
    stall: [30, 10, 48],
  };
  function colour(n) {
    const [h, s, l] = palette[n.kind] || palette.lib;
    let hash = 0;
    for (const ch of n.name) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
    return `hsl(${h + (hash % 14) - 7}, ${s}%, ${l + ((hash >>> 4) % 10) - 5}%)`;
  }
  const matches = (n) =>
    query && (n.name.toLowerCase().includes(query) || n.detail.toLowerCase().includes(query));
  function drawFlame() {
    const box = document.getElementById('flame-graph');
    const width = box.clientWidth;
    const above = new Set();
    for (let a = focus; a; a = a.parent) above.add(a);
    const frames = [];
    let deepest = 0;
    (function place(n, inside) {
      inside = inside || n === focus;
      if (!inside && !above.has(n)) return;
      const x = inside ? (n.x0 - focus.x0) / focus.w : 0;
      const w = inside ? n.w / focus.w : 1;
      if (w * width < 1) return;
      deepest = Math.max(deepest, n.depth);
      const d = html(
        'div',
        {
          class: `frame k-${n.kind}${above.has(n) && n !== focus ? ' above' : ''}${matches(n) ? ' match' : ''}`,
          'data-name': n.name,
          'data-ns': n.ns,
          'data-depth': n.depth,
        },
        w * width > 24 ? n.name : '',
      );
      d.style.left = x * 100 + '%';
      d.style.width = w * 100 + '%';
      d.style.top = n.depth * ROW + 'px';
      d.style.background = colour(n);
      hover(d, () => [
        n.name,
        n.detail,
        `${fmtNs(n.ns)}, ${(100 * n.w).toFixed(1)}% of all stall time`,
        n === focus && n !== flame ? 'click to zoom out' : 'click to zoom in',
      ]);
      d.addEventListener('click', () => {
        focus = n === focus && n.parent ? n.parent : n;
        tip.hidden = true;
        drawFlame();
      });
      frames.push(d);
      for (const c of n.children) place(c, inside);
    })(flame, false);
    box.replaceChildren(...frames);
    box.style.height = (deepest + 1) * ROW + 2 + 'px';
    if (!flame.ns) box.replaceChildren(html('p', { class: 'none' }, 'No stall time to show.'));
  }
  const search = document.getElementById('flame-search');
  search.addEventListener('input', () => {
    query = search.value.trim().toLowerCase();
    // Time in matching frames, each counted once however deep the matches nest.
    let count = 0;
    let ns = 0;
    (function walk(n, counted) {
      const m = matches(n);
      count += m ? 1 : 0;
      if (m && !counted) ns += n.ns;
      for (const c of n.children) walk(c, counted || m);
    })(flame, false);
    document.getElementById('flame-found').textContent = query
      ? `${count} frame${count === 1 ? '' : 's'} match: ${fmtNs(ns)}, ${flame.ns ? ((100 * ns) / flame.ns).toFixed(1) : 0}% of stall time`
      : '';
    drawFlame();
  });
  document.getElementById('flame-reset').addEventListener('click', () => {
    focus = flame;
    drawFlame();
  });

  // Sortable tables: numbers by their exact value (data-v), text as text.
  for (const table of document.querySelectorAll('table.sortable')) {
    [...table.tHead.rows[0].cells].forEach((th, col) => {
      th.tabIndex = 0;
      const sort = () => {
        const dir = th.getAttribute('aria-sort') === 'descending' ? 'ascending' : 'descending';
        for (const other of th.parentNode.cells) other.removeAttribute('aria-sort');
        th.setAttribute('aria-sort', dir);
        const key = (row) => {
          const cell = row.cells[col];
          return cell.dataset.v !== undefined ? Number(cell.dataset.v) : cell.textContent.toLowerCase();
        };
        const rows = [...table.tBodies[0].rows];
        rows.sort((a, b) => {
          const ka = key(a);
          const kb = key(b);
          const order = ka < kb ? -1 : ka > kb ? 1 : 0;
          return dir === 'ascending' ? order : -order;
        });
        table.tBodies[0].append(...rows);
      };
      th.addEventListener('click', sort);
      th.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter') sort();
      });
    });
  }

  function drawAll() {
    data.processes.forEach((proc, pi) => {
      drawTimeline(proc, pi, document.querySelector(`.timeline[data-proc="${pi}"]`));
      const hists = document.querySelector(`.hists[data-proc="${pi}"]`);
      hists.replaceChildren();
      for (const loop of proc.loops) drawHist(loop, hists, Math.min(2, proc.loops.length));
    });
    drawFlame();
  }
  let pending = 0;
  window.addEventListener('resize', () => {
    clearTimeout(pending);
    pending = setTimeout(drawAll, 100);
  });
  drawAll();
})();
