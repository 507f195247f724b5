// Draws the model embedded in the page (see timeline.rs) on a canvas.
// State: the visible window [t0, t1] in virtual nanoseconds, which lanes and
// kinds are shown, and the selected event. Every change redraws everything:
// culling to the window and aggregating when crowded keep that cheap even
// for Raft runs of thousands of RPCs.
(function () {
  'use strict';
  const M = JSON.parse(document.getElementById('model').textContent);
  const plot = document.getElementById('plot');
  const canvas = document.getElementById('canvas');
  const ctx = canvas.getContext('2d');
  const labels = document.getElementById('labels');
  const GUTTER = 110, RIGHT = 16, AXIS = 28, LANE = 48, BOTTOM = 8;
  // Beyond this many RPCs in view, arrows are unreadable: draw density.
  const MAX_ARROWS = 600;
  const MAX_DOTS = 3000;
  const MIN_SPAN = 1000; // 1 µs
  const END = Math.max(M.end, 1e6);
  const lanesOn = M.lanes.map(() => true);
  const kindsOn = M.kinds.map(() => true);
  let t0 = 0, t1 = END, sel = -1, width = 800;
  // Where clickable things were last drawn: [x, y, event index].
  let hits = [];

  const shown = () => M.lanes.map((_, i) => i).filter((i) => lanesOn[i]);
  function laneY() {
    const ys = M.lanes.map(() => null);
    shown().forEach((l, k) => { ys[l] = AXIS + LANE * (k + 0.5); });
    return ys;
  }
  const x = (t) => GUTTER + (t - t0) / (t1 - t0) * (width - GUTTER - RIGHT);
  const tAt = (px) => t0 + (px - GUTTER) / (width - GUTTER - RIGHT) * (t1 - t0);
  const secs = (t, d) => (t / 1e9).toFixed(d);

  function clamp() {
    let span = Math.min(END, Math.max(MIN_SPAN, t1 - t0));
    if (t0 < 0) t0 = 0;
    if (t0 + span > END) t0 = END - span;
    t1 = t0 + span;
  }
  function zoom(factor, around) {
    const span = Math.min(END, Math.max(MIN_SPAN, (t1 - t0) * factor));
    const f = (around - t0) / (t1 - t0);
    t0 = around - f * span;
    t1 = t0 + span;
    clamp();
    draw();
  }
  function pan(dt) { t0 += dt; t1 += dt; clamp(); draw(); }

  // Axis ticks at 1, 2 or 5 × 10^k ns, about ten across.
  function ticks() {
    const span = t1 - t0;
    let step = Math.pow(10, Math.floor(Math.log10(span / 10)));
    if (span / step > 50) step *= 5; else if (span / step > 20) step *= 2;
    const digits = Math.min(9, Math.max(0, 9 - Math.floor(Math.log10(step))));
    const out = [];
    for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) out.push([t, secs(t, digits) + 's']);
    return out;
  }

  function draw() {
    const dpr = window.devicePixelRatio || 1;
    width = Math.max(400, plot.clientWidth);
    const ys = laneY();
    const n = shown().length;
    const height = AXIS + LANE * Math.max(1, n) + BOTTOM;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    canvas.style.width = width + 'px';
    canvas.style.height = height + 'px';
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    hits = [];
    const bottom = height - BOTTOM;

    // Axis and lanes.
    ctx.font = '10px sans-serif';
    ctx.textAlign = 'center';
    for (const [t, label] of ticks()) {
      const px = x(t);
      ctx.strokeStyle = '#eee';
      ctx.beginPath(); ctx.moveTo(px, AXIS - 6); ctx.lineTo(px, bottom); ctx.stroke();
      ctx.fillStyle = '#888';
      ctx.fillText(label, px, 12);
    }
    ctx.textAlign = 'left';
    labels.textContent = '';
    M.lanes.forEach((name, l) => {
      const div = document.createElement('div');
      div.className = 'lane-label';
      div.dataset.lane = name;
      div.textContent = name;
      if (ys[l] === null) { div.style.display = 'none'; } else {
        div.style.top = (ys[l] - 8) + 'px';
        ctx.strokeStyle = '#bbb';
        ctx.beginPath(); ctx.moveTo(GUTTER, ys[l]); ctx.lineTo(width - RIGHT, ys[l]); ctx.stroke();
      }
      labels.appendChild(div);
    });

    ctx.save();
    ctx.beginPath(); ctx.rect(GUTTER, 0, width - GUTTER - RIGHT, height); ctx.clip();

    // Outages.
    for (const o of M.outages) {
      if (ys[o.lane] === null || o.t1 < t0 || o.t0 > t1) continue;
      const a = Math.max(GUTTER, x(o.t0)), b = Math.min(width - RIGHT, x(o.t1));
      ctx.fillStyle = o.what === 'crashed' ? 'rgba(240,150,150,0.6)' : 'rgba(190,190,190,0.6)';
      ctx.fillRect(a, ys[o.lane] - LANE * 0.35, Math.max(1, b - a), LANE * 0.7);
    }

    // RPCs: arrows when few, density bands when crowded.
    const visible = [];
    for (const r of M.rpcs) {
      // An open call is drawn as a stub at its start, so only its start counts.
      if ((r.open ? r.t0 : r.t1) < t0 || r.t0 > t1) continue;
      if (ys[r.from] === null || ys[r.to] === null) continue;
      // Shown only if both its call's kind and its outcome's kind are: so
      // unticking "sim::rpc unreachable" clears the calls into a partition.
      if (!kindsOn[M.events[r.call].kind] || !kindsOn[M.events[r.done].kind]) continue;
      visible.push(r);
    }
    const selRpc = sel >= 0 ? M.events[sel].rpc : undefined;
    const lod = visible.length > MAX_ARROWS ? 'density' : 'arrows';
    if (lod === 'arrows') {
      for (const r of visible) drawRpc(r, ys, r.id === selRpc);
    } else {
      density(visible, ys);
      for (const r of visible) if (r.id === selRpc) drawRpc(r, ys, true);
    }

    // Raw Endpoint datagrams: an arrow from sender to receiver, or a
    // crossed stub when never received. Too many in view to read: none.
    const messages = [];
    for (const m of M.messages) {
      if (m.t1 < t0 || m.t0 > t1 || ys[m.from] === null || ys[m.to] === null) continue;
      if (!kindsOn[M.events[m.send].kind]) continue;
      messages.push(m);
    }
    if (messages.length <= MAX_ARROWS) for (const m of messages) drawMessage(m, ys);

    // Events: dots (INFO and above), labels where there is room, aggregated
    // into one bigger dot per lane and 4 px when crowded.
    const dots = [];
    for (let i = 0; i < M.events.length; i++) {
      const e = M.events[i];
      if (!e.mark || e.t < t0 || e.t > t1 || ys[e.lane] === null || !kindsOn[e.kind]) continue;
      dots.push(i);
    }
    const lastLabel = {};
    if (dots.length > MAX_DOTS) {
      const buckets = new Map();
      for (const i of dots) {
        const e = M.events[i];
        const key = e.lane + ':' + Math.floor(x(e.t) / 4);
        const b = buckets.get(key);
        if (b) b[1]++; else buckets.set(key, [i, 1]);
      }
      for (const [i, count] of buckets.values()) {
        const e = M.events[i];
        dot(x(e.t), ys[e.lane], Math.min(6, 2 + Math.log2(count)), e, i);
      }
    } else {
      ctx.font = '10px sans-serif';
      for (const i of dots) {
        const e = M.events[i];
        const px = x(e.t), py = ys[e.lane];
        dot(px, py, 3.5, e, i);
        if (lastLabel[e.lane] === undefined || px - lastLabel[e.lane] > 130) {
          ctx.fillStyle = '#2255aa';
          ctx.fillText(shortText(e), px + 4, py - 8);
          lastLabel[e.lane] = px;
        }
      }
    }

    // The selected event, ringed.
    if (sel >= 0) {
      const e = M.events[sel];
      if (ys[e.lane] !== null && e.t >= t0 && e.t <= t1) {
        ctx.strokeStyle = '#f90'; ctx.lineWidth = 3;
        ctx.beginPath(); ctx.arc(x(e.t), ys[e.lane], 7, 0, 2 * Math.PI); ctx.stroke();
        ctx.lineWidth = 1;
      }
    }
    ctx.restore();

    // The failure: a red line at its instant, or an arrow at the edge saying
    // where it is; the message itself is the banner above the plot.
    if (M.failure) {
      const f = M.failure.t;
      ctx.fillStyle = '#d00'; ctx.strokeStyle = '#d00'; ctx.font = 'bold 11px sans-serif';
      if (f >= t0 && f <= t1) {
        const px = x(f);
        ctx.lineWidth = 2;
        ctx.beginPath(); ctx.moveTo(px, AXIS - 10); ctx.lineTo(px, bottom); ctx.stroke();
        ctx.lineWidth = 1;
        const text = '✗ ' + M.failure.kind;
        const w = ctx.measureText(text).width;
        // Right of the line when it fits, else left of it: never clipped.
        ctx.fillText(text, px + 4 + w <= width - RIGHT ? px + 4 : px - 4 - w, AXIS - 2);
      } else {
        const right = f > t1;
        const text = right ? 'failure at ' + secs(f, 6) + 's ▶' : '◀ failure at ' + secs(f, 6) + 's';
        const w = ctx.measureText(text).width;
        ctx.fillText(text, right ? width - RIGHT - w - 2 : GUTTER + 2, AXIS + 2);
      }
    }

    plot.dataset.t0 = secs(t0, 9);
    plot.dataset.t1 = secs(t1, 9);
    plot.dataset.lod = lod;
    plot.dataset.rpcs = String(visible.length);
    plot.dataset.messages = String(messages.length);
    plot.dataset.lanes = shown().map((l) => M.lanes[l]).join(',');
    document.getElementById('window').textContent =
      'showing ' + secs(t0, 6) + 's – ' + secs(t1, 6) + 's of ' + secs(END, 6) + 's';
    document.getElementById('lod-note').textContent = lod === 'density'
      ? visible.length + ' RPCs in view, drawn as density per lane (green ok, red failed): zoom in for arrows'
      : visible.length + ' RPCs in view';
  }

  function shortText(e) {
    // The line without time, node, level and target: "became leader term=3".
    const t = e.line.trim().split(/\s+/).slice(4).join(' ');
    return t.length > 28 ? t.slice(0, 28) + '…' : t;
  }

  function dot(px, py, r, e, i) {
    ctx.fillStyle = M.kinds[e.kind].startsWith('sim::') ? '#a00' : '#2255aa';
    ctx.beginPath(); ctx.arc(px, py, r, 0, 2 * Math.PI); ctx.fill();
    hits.push([px, py, i]);
  }

  function drawMessage(m, ys) {
    const x1 = x(m.t0), y1 = ys[m.from], y2 = ys[m.to];
    ctx.lineWidth = 0.8;
    if (m.received) {
      const x2 = x(m.t1), d = y2 > y1 ? -1 : 1;
      ctx.strokeStyle = ctx.fillStyle = 'rgba(40,90,200,0.8)';
      ctx.beginPath(); ctx.moveTo(x1, y1); ctx.lineTo(x2, y2); ctx.stroke();
      ctx.beginPath(); ctx.moveTo(x2, y2); ctx.lineTo(x2 - 3, y2 + 6 * d); ctx.lineTo(x2 + 3, y2 + 6 * d); ctx.fill();
      hits.push([x1, y1, m.send]);
      hits.push([x2, y2, m.recv]);
    } else {
      const ye = y1 + (y2 - y1) * 0.4;
      ctx.strokeStyle = 'rgba(221,51,51,0.85)';
      ctx.setLineDash([3, 2]);
      ctx.beginPath(); ctx.moveTo(x1, y1); ctx.lineTo(x1 + 10, ye); ctx.stroke();
      ctx.setLineDash([]);
      ctx.beginPath(); ctx.moveTo(x1 + 7, ye - 3); ctx.lineTo(x1 + 13, ye + 3);
      ctx.moveTo(x1 + 13, ye - 3); ctx.lineTo(x1 + 7, ye + 3); ctx.stroke();
      hits.push([x1, y1, m.send]);
    }
    ctx.lineWidth = 1;
  }

  function drawRpc(r, ys, selected) {
    const x1 = x(r.t0), x2 = x(r.t1), xm = (x1 + x2) / 2;
    const y1 = ys[r.from], y2 = ys[r.to];
    if (r.open) {
      // Never answered: a dotted stub towards the callee and a "?", not a
      // line across the rest of the run.
      ctx.lineWidth = selected ? 3 : 1;
      ctx.strokeStyle = selected ? '#f90' : 'rgba(120,120,120,0.8)';
      ctx.setLineDash([2, 2]);
      const ye = y1 + (y2 - y1) * 0.4;
      ctx.beginPath(); ctx.moveTo(x1, y1); ctx.lineTo(x1 + 10, ye); ctx.stroke();
      ctx.setLineDash([]);
      ctx.lineWidth = 1;
      ctx.fillStyle = ctx.strokeStyle; ctx.font = '10px sans-serif';
      ctx.fillText('?', x1 + 11, ye + (y2 > y1 ? 8 : 0));
      hits.push([x1, y1, r.call]);
      return;
    }
    ctx.lineWidth = selected ? 3 : 0.8;
    ctx.strokeStyle = selected ? '#f90' : (r.ok ? 'rgba(51,170,51,0.7)' : 'rgba(221,51,51,0.85)');
    ctx.setLineDash(r.ok ? [] : [3, 2]);
    ctx.beginPath(); ctx.moveTo(x1, y1); ctx.lineTo(xm, y2); ctx.lineTo(x2, y1); ctx.stroke();
    ctx.setLineDash([]);
    if (r.ok) {
      ctx.fillStyle = ctx.strokeStyle;
      ctx.beginPath(); ctx.moveTo(x2, y1); ctx.lineTo(x2 - 5, y1 - 3); ctx.lineTo(x2 - 5, y1 + 3); ctx.fill();
    } else {
      ctx.lineWidth = 1.5;
      ctx.beginPath(); ctx.moveTo(x2 - 3, y1 - 3); ctx.lineTo(x2 + 3, y1 + 3);
      ctx.moveTo(x2 + 3, y1 - 3); ctx.lineTo(x2 - 3, y1 + 3); ctx.stroke();
    }
    ctx.lineWidth = 1;
    hits.push([x1, y1, r.call]);
    if (r.done !== r.call) hits.push([x2, y1, r.done]);
  }

  // Per calling lane, RPC starts counted in 3 px columns: ok ones as a green
  // band above the lane line, failed ones red below it, opacity by count.
  function density(visible, ys) {
    const COL = 3;
    const cols = Math.ceil((width - GUTTER - RIGHT) / COL) + 1;
    const ok = new Map(), bad = new Map();
    let max = 1;
    for (const r of visible) {
      const c = Math.max(0, Math.min(cols - 1, Math.floor((x(Math.max(r.t0, t0)) - GUTTER) / COL)));
      const m = r.ok ? ok : bad;
      if (!m.has(r.from)) m.set(r.from, new Uint32Array(cols));
      const v = ++m.get(r.from)[c];
      if (v > max) max = v;
    }
    const band = (m, color, dy) => {
      for (const [lane, counts] of m) {
        for (let c = 0; c < cols; c++) {
          if (!counts[c]) continue;
          ctx.fillStyle = 'rgba(' + color + ',' + (0.25 + 0.75 * counts[c] / max).toFixed(3) + ')';
          ctx.fillRect(GUTTER + c * COL, ys[lane] + dy, COL, 10);
        }
      }
    };
    band(ok, '51,170,51', -13);
    band(bad, '221,51,51', 3);
  }

  // The trace around the selected event: its RPC's lines, then the lines
  // just before and after it in trace order.
  function showTrace() {
    const box = document.getElementById('trace-lines');
    box.textContent = '';
    if (sel < 0) { box.textContent = 'Click an event.'; return; }
    const e = M.events[sel];
    const line = (i, cls) => {
      const d = document.createElement('div');
      d.className = 'line ' + cls;
      d.dataset.i = String(i);
      d.textContent = M.events[i].line;
      d.addEventListener('click', () => select(i, true));
      box.appendChild(d);
    };
    const sep = (text) => {
      const d = document.createElement('div');
      d.className = 'sep';
      d.textContent = text;
      box.appendChild(d);
    };
    if (e.rpc !== undefined) {
      sep('-- rpc ' + e.rpc + ':');
      M.events.forEach((o, i) => { if (o.rpc === e.rpc) line(i, i === sel ? 'sel' : 'rel'); });
    }
    sep('-- trace lines ' + Math.max(0, sel - 12) + '..' + Math.min(M.events.length - 1, sel + 12) + ' of ' + M.events.length + ':');
    for (let i = Math.max(0, sel - 12); i <= Math.min(M.events.length - 1, sel + 12); i++) {
      line(i, i === sel ? 'sel' : (e.rpc !== undefined && M.events[i].rpc === e.rpc ? 'rel' : ''));
    }
  }

  function select(i, centre) {
    sel = i;
    if (centre && i >= 0) {
      const t = M.events[i].t;
      if (t < t0 || t > t1) pan(t - (t0 + t1) / 2);
    }
    plot.dataset.selected = String(i);
    showTrace();
    draw();
  }

  function filters() {
    const make = (boxId, names, on, cls, counts) => {
      const box = document.getElementById(boxId);
      names.forEach((name, i) => {
        const label = document.createElement('label');
        const input = document.createElement('input');
        input.type = 'checkbox';
        input.checked = true;
        input.className = cls;
        input.dataset.name = name;
        input.addEventListener('change', () => { on[i] = input.checked; draw(); });
        label.appendChild(input);
        label.appendChild(document.createTextNode(' ' + name + ' (' + counts[i] + ')'));
        box.appendChild(label);
      });
    };
    const laneCounts = M.lanes.map(() => 0), kindCounts = M.kinds.map(() => 0);
    for (const e of M.events) { laneCounts[e.lane]++; kindCounts[e.kind]++; }
    make('lane-filters', M.lanes, lanesOn, 'lane-filter', laneCounts);
    make('kind-filters', M.kinds, kindsOn, 'kind-filter', kindCounts);
  }

  // Input. A press that moves less than 4 px is a click (select), more is a
  // drag (pan).
  plot.addEventListener('wheel', (e) => {
    e.preventDefault();
    const r = canvas.getBoundingClientRect();
    if (e.deltaX && !e.deltaY) { pan(e.deltaX / (width - GUTTER - RIGHT) * (t1 - t0)); return; }
    const px = Math.max(GUTTER, e.clientX - r.left);
    // deltaMode 1 counts lines (Firefox with a mouse wheel), not pixels.
    const dy = e.deltaY * (e.deltaMode === 1 ? 33 : 1);
    zoom(Math.exp(Math.max(-3, Math.min(3, dy * 0.002))), tAt(px));
  }, { passive: false });
  let press = null;
  plot.addEventListener('mousedown', (e) => {
    press = { x: e.clientX, y: e.clientY, t0, t1, moved: false };
    plot.style.cursor = 'grabbing';
  });
  // Hovering names the nearest event in the tooltip.
  canvas.addEventListener('mousemove', (e) => {
    if (press) return;
    const best = nearest(e);
    canvas.title = best >= 0 ? M.events[best].line : '';
  });
  window.addEventListener('mousemove', (e) => {
    if (!press) return;
    const dx = e.clientX - press.x;
    if (Math.abs(dx) >= 4) press.moved = true;
    if (!press.moved) return;
    const dt = -dx / (width - GUTTER - RIGHT) * (press.t1 - press.t0);
    t0 = press.t0 + dt; t1 = press.t1 + dt;
    clamp(); draw();
  });
  window.addEventListener('mouseup', (e) => {
    if (!press) return;
    const wasClick = !press.moved;
    press = null;
    plot.style.cursor = '';
    if (!wasClick) return;
    const best = nearest(e);
    if (best >= 0) select(best, false);
  });
  // The event drawn nearest the pointer, within 8 px, or -1.
  function nearest(e) {
    const r = canvas.getBoundingClientRect();
    const px = e.clientX - r.left, py = e.clientY - r.top;
    let best = -1, bestD = 8 * 8;
    for (const [hx, hy, i] of hits) {
      const d = (hx - px) * (hx - px) + (hy - py) * (hy - py);
      if (d <= bestD) { bestD = d; best = i; }
    }
    return best;
  }
  plot.addEventListener('dblclick', () => { t0 = 0; t1 = END; draw(); });
  document.addEventListener('keydown', (e) => {
    const mid = (t0 + t1) / 2;
    if (e.key === '+' || e.key === '=') zoom(0.5, mid);
    else if (e.key === '-') zoom(2, mid);
    else if (e.key === 'ArrowLeft') pan(-(t1 - t0) / 4);
    else if (e.key === 'ArrowRight') pan((t1 - t0) / 4);
  });
  document.getElementById('zoom-in').addEventListener('click', () => zoom(0.5, (t0 + t1) / 2));
  document.getElementById('zoom-out').addEventListener('click', () => zoom(2, (t0 + t1) / 2));
  document.getElementById('reset').addEventListener('click', () => { t0 = 0; t1 = END; draw(); });
  const zf = document.getElementById('zoom-failure');
  if (zf && M.failure) {
    // The last tenth of a second before the failure (or less, in a short
    // run): where the cause usually is.
    zf.addEventListener('click', () => {
      const span = Math.min(END, 1e8);
      t1 = M.failure.t + span * 0.05; t0 = t1 - span; clamp(); draw();
    });
  }
  window.addEventListener('resize', draw);

  // For tests and for tools: where an event is drawn now, in client pixels,
  // or null when it is off-screen or filtered out.
  window.timeline = {
    model: M,
    where(i) {
      const e = M.events[i];
      const ys = laneY();
      if (ys[e.lane] === null || e.t < t0 || e.t > t1) return null;
      const r = canvas.getBoundingClientRect();
      return { x: r.left + x(e.t), y: r.top + ys[e.lane] };
    },
  };

  filters();
  draw();
})();
