// The SpRAy viewer. Reads the report from the JSON script element; draws the embedding and the
// spectrum on canvases (thousands of points stay one element each way); shows an item's
// explanation on a click; lists every item as buttons for the keyboard and screen readers.
(() => {
  const data = JSON.parse(document.getElementById("relvis-data").textContent);
  const $ = (id) => document.getElementById(id);
  const palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  const colour = (c) => palette[c % palette.length];
  const isClip = data.item_name === "clip";
  const state = { cls: 0, emb: 0, clu: 0, selected: -1, hover: -1, matches: null };
  const view = () => data.classes[state.cls];
  const clustering = () => view().clusterings[state.clu];
  const format = (v) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(3));
  const signed = (v) => (v >= 0 ? "+" : "") + format(v);

  // --- the scatter -------------------------------------------------------------------
  const scatter = $("scatter");
  const MARGIN = 12;
  let screen = []; // each point's position in CSS pixels of the canvas

  function sizeCanvas(canvas) {
    const ratio = window.devicePixelRatio || 1;
    const w = canvas.clientWidth, h = canvas.clientHeight;
    canvas.width = Math.round(w * ratio);
    canvas.height = Math.round(h * ratio);
    const g = canvas.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    return [g, w, h];
  }

  function drawScatter() {
    const [g, w, h] = sizeCanvas(scatter);
    const points = view().embeddings[state.emb].points;
    const labels = clustering().labels;
    const n = labels.length;
    screen = new Array(n);
    g.clearRect(0, 0, w, h);
    const side = Math.min(w, h) - 2 * MARGIN;
    for (let i = 0; i < n; i++) {
      screen[i] = [MARGIN + points[2 * i] * side, MARGIN + (1 - points[2 * i + 1]) * side];
    }
    const faded = state.matches && state.matches.size > 0;
    for (let i = 0; i < n; i++) {
      g.globalAlpha = faded && !state.matches.has(i) ? 0.15 : 0.85;
      g.fillStyle = colour(labels[i]);
      g.beginPath();
      g.arc(screen[i][0], screen[i][1], 4, 0, 2 * Math.PI);
      g.fill();
    }
    g.globalAlpha = 1;
    for (const [i, width] of [[state.hover, 1], [state.selected, 2.5]]) {
      if (i < 0) continue;
      g.strokeStyle = "#000";
      g.lineWidth = width;
      g.beginPath();
      g.arc(screen[i][0], screen[i][1], 7, 0, 2 * Math.PI);
      g.stroke();
    }
    scatter.dataset.points = String(n);
    const name = data.item_name + (n === 1 ? "" : "s");
    scatter.setAttribute("aria-label", `${view().embeddings[state.emb].name} embedding of ${n} ${name} of ${view().name}, coloured by cluster; arrow keys step through them`);
    $("scatter-caption").textContent = `${n} ${name} · ${view().embeddings[state.emb].name} embedding · ${clustering().clusters} clusters`;
  }

  /** The point nearest (x, y) in CSS pixels of the canvas, within 8 pixels; −1 if none. */
  function pointAt(x, y) {
    let best = -1, bestDistance = 64;
    for (let i = 0; i < screen.length; i++) {
      const dx = screen[i][0] - x, dy = screen[i][1] - y, d = dx * dx + dy * dy;
      if (d <= bestDistance) { best = i; bestDistance = d; }
    }
    return best;
  }

  scatter.addEventListener("mousemove", (event) => {
    const box = scatter.getBoundingClientRect();
    const i = pointAt(event.clientX - box.left, event.clientY - box.top);
    const tip = $("tooltip");
    if (i !== state.hover) { state.hover = i; drawScatter(); }
    if (i < 0) { tip.hidden = true; return; }
    const item = view().items[i];
    tip.textContent = item.title === item.id ? item.id : `${item.title} (${item.id})`;
    tip.hidden = false;
    tip.style.left = `${screen[i][0] + 10}px`;
    tip.style.top = `${screen[i][1] + 10}px`;
  });
  scatter.addEventListener("mouseleave", () => { $("tooltip").hidden = true; state.hover = -1; drawScatter(); });
  scatter.addEventListener("click", (event) => {
    const box = scatter.getBoundingClientRect();
    const i = pointAt(event.clientX - box.left, event.clientY - box.top);
    if (i >= 0) select(i);
  });
  scatter.addEventListener("keydown", (event) => {
    const n = view().items.length;
    const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
    if (!step || n === 0) return;
    event.preventDefault();
    select(state.selected < 0 ? (step > 0 ? 0 : n - 1) : (state.selected + step + n) % n);
  });

  // --- the spectrum ------------------------------------------------------------------
  function drawSpectrum() {
    const canvas = $("spectrum");
    const [g, w, h] = sizeCanvas(canvas);
    const values = view().eigenvalues, k = view().proposed;
    g.clearRect(0, 0, w, h);
    if (values.length === 0) return;
    const top = Math.max(...values, 1e-9), left = 40, bottom = h - 24, slot = (w - left - 10) / values.length;
    g.font = "11px sans-serif";
    g.fillStyle = "#555";
    g.fillText(top.toPrecision(2), 2, 14);
    g.fillText("0", 2, bottom);
    values.forEach((v, i) => {
      const bar = (v / top) * (bottom - 12);
      g.fillStyle = i < k ? "#1f77b4" : "#aaa";
      g.fillRect(left + i * slot + 2, bottom - bar, slot - 4, bar);
      g.fillStyle = "#555";
      g.fillText(String(i + 1), left + i * slot + slot / 2 - 3, h - 8);
    });
    const x = left + k * slot;
    g.strokeStyle = "#d62728";
    g.setLineDash([4, 3]);
    g.beginPath();
    g.moveTo(x, 4);
    g.lineTo(x, bottom);
    g.stroke();
    g.setLineDash([]);
    g.fillStyle = "#d62728";
    g.fillText(`eigengap → ${k}`, Math.min(x + 4, w - 70), 14);
    const gap = k < values.length ? values[k] - values[k - 1] : 0;
    const text = `Smallest eigenvalues of the graph Laplacian; the largest eigengap (${gap.toPrecision(3)}, between λ${k} and λ${k + 1}) proposes ${k} clusters.`;
    canvas.setAttribute("aria-label", text);
    $("spectrum-caption").textContent = text;
  }

  // --- an item's explanation ---------------------------------------------------------
  function wordColour(level) {
    const fade = 255 - Math.abs(level);
    return level > 0 ? `rgb(${255}, ${fade}, ${fade})` : `rgb(${fade}, ${fade}, ${255})`;
  }

  function showDocument(item) {
    const text = item.text, w = item.words;
    const pre = element("pre", { class: "document" });
    let at = 0;
    for (let k = 0; k < w.length; k += 3) {
      const start = at + w[k], end = start + w[k + 1], level = w[k + 2];
      pre.append(text.slice(at, start));
      const word = text.slice(start, end);
      if (level !== 0) {
        const span = element("span", { text: word, title: `≈ ${signed((level / 255) * item.max_abs)}` });
        span.style.background = wordColour(level);
        pre.append(span);
      } else {
        pre.append(word);
      }
      at = end;
    }
    pre.append(text.slice(at));
    return [
      element("p", { class: "meta", text: `${item.id} · explained ${view().name} (score ${signed(item.score)}) · predicted ${item.predicted} · red words speak for the class, blue words against it` }),
      pre,
    ];
  }

  /** A frame's heatmap as the explain report draws it: the picture in grey, each block tinted
   * red (for) or blue (against) with opacity |level| / 255 · 0.75. */
  function frameCanvas(frame, scale) {
    const canvas = element("canvas");
    const paint = (picture) => {
      const width = picture ? picture.naturalWidth : frame.cols * frame.block, height = picture ? picture.naturalHeight : frame.rows * frame.block;
      canvas.width = width;
      canvas.height = height;
      canvas.style.width = `${width * scale}px`;
      const g = canvas.getContext("2d");
      if (picture) g.drawImage(picture, 0, 0); else { g.fillStyle = "rgb(160,160,160)"; g.fillRect(0, 0, width, height); }
      const image = g.getImageData(0, 0, width, height), p = image.data;
      for (let y = 0; y < height; y++) {
        const row = Math.floor(y / frame.block);
        for (let x = 0; x < width; x++) {
          // Pixels beyond the grid (a partial block) get no tint, as in the explain report.
          const col = Math.floor(x / frame.block);
          const level = row < frame.rows && col < frame.cols ? frame.levels[row * frame.cols + col] : 0;
          const a = (Math.abs(level) / 255) * 0.75, tint = level >= 0 ? [230, 30, 30] : [30, 60, 230];
          const o = 4 * (y * width + x);
          const grey = (0.3 * p[o] + 0.59 * p[o + 1] + 0.11 * p[o + 2]) * 0.8;
          for (let c = 0; c < 3; c++) p[o + c] = grey * (1 - a) + tint[c] * a;
        }
      }
      g.putImageData(image, 0, 0);
    };
    if (frame.picture) {
      const picture = new Image();
      picture.onload = () => paint(picture);
      picture.src = frame.picture;
    } else {
      paint(null);
    }
    return canvas;
  }

  function curveCanvas(item) {
    const canvas = element("canvas", { role: "img", "aria-label": `relevance of each of ${item.per_frame.length} frames` });
    canvas.style.width = "100%";
    canvas.style.height = "140px";
    requestAnimationFrame(() => {
      const [g, w, h] = sizeCanvas(canvas);
      const v = item.per_frame, hi = Math.max(...v.map(Math.abs), 1e-12), mid = h / 2;
      g.strokeStyle = "#bbb";
      g.beginPath(); g.moveTo(0, mid); g.lineTo(w, mid); g.stroke();
      for (const f of item.frames) {
        g.fillStyle = "rgba(214,39,40,0.2)";
        g.fillRect((f.frame / Math.max(1, v.length - 1)) * w - 2, 0, 4, h);
      }
      g.strokeStyle = "#222";
      g.beginPath();
      v.forEach((r, t) => {
        const x = (t / Math.max(1, v.length - 1)) * w, y = mid - (r / hi) * (mid - 6);
        t === 0 ? g.moveTo(x, y) : g.lineTo(x, y);
      });
      g.stroke();
    });
    return canvas;
  }

  function showClip(item) {
    const frames = element("div", { class: "frames" });
    for (const f of item.frames) {
      frames.append(element("figure", {}, frameCanvas(f, 1), element("figcaption", { text: `frame ${f.frame}` })));
    }
    const cue = item.cue === null || item.cue === undefined ? "" : item.cue ? " · carries the planted cue" : " · no planted cue";
    return [
      element("p", { class: "meta", text: `explained ${view().name} (score ${signed(item.score)}) · predicted ${item.predicted}${cue}` }),
      element("h3", { text: "Relevance per frame" }),
      curveCanvas(item),
      element("h3", { text: "Most relevant frames" }),
      frames,
    ];
  }

  function select(i) {
    state.selected = i;
    const item = view().items[i];
    const detail = $("detail");
    const label = clustering().labels[i];
    detail.replaceChildren(
      element("h2", {}, element("span", { class: "swatch", style: `--colour: ${colour(label)}` }), item.title),
      element("p", { class: "meta", text: `${data.item_name} ${item.id} · cluster ${label}` }),
      ...(isClip ? showClip(item) : showDocument(item)),
    );
    detail.dataset.item = item.id;
    for (const b of document.querySelectorAll("button[data-index]")) {
      b.setAttribute("aria-current", String(Number(b.dataset.index) === i));
    }
    drawScatter();
  }

  // --- clusters, list, search --------------------------------------------------------
  function itemButton(i, withCluster) {
    const item = view().items[i];
    const b = element("button", { type: "button", "data-index": String(i), title: item.id, onclick: () => select(i) });
    if (withCluster) b.append(element("span", { class: "swatch", style: `--colour: ${colour(clustering().labels[i])}` }));
    b.append(item.title);
    return b;
  }

  const MEMBERS_SHOWN = 60;

  function showClusters() {
    const panel = $("clusters");
    const c = clustering();
    const members = c.summaries.map(() => []);
    c.labels.forEach((l, i) => members[l].push(i));
    panel.replaceChildren(...c.summaries.map((s, k) => {
      const list = element("div", { class: "members", role: "list" });
      const fill = (count) => list.replaceChildren(...members[k].slice(0, count).map((i) => element("div", { role: "listitem" }, itemButton(i, false))));
      fill(MEMBERS_SHOWN);
      const more = members[k].length > MEMBERS_SHOWN
        ? element("button", { type: "button", text: `show all ${members[k].length}`, onclick: (e) => { fill(members[k].length); e.target.remove(); } })
        : "";
      const share = s.share === null || s.share === undefined ? "" : ` · ${data.share_name} ${s.share.toFixed(3)}`;
      const words = s.top_words.length
        ? element("p", { class: "top-words", text: "top words: " + s.top_words.map(([w, v]) => `${w} ${signed(v)}`).join(", ") })
        : "";
      return element("article", { class: "cluster", style: `--colour: ${colour(k)}`, "aria-label": `cluster ${k}` },
        element("h3", {}, element("span", { class: "swatch" }), `Cluster ${k}`),
        element("p", { class: "meta", text: `${s.size} ${data.item_name}${s.size === 1 ? "" : "s"}${share}` }),
        words, list, more);
    }));
  }

  function showList() {
    const box = $("item-list");
    box.hidden = !$("list-view").checked;
    if (box.hidden) { box.replaceChildren(); return; }
    const rows = view().items.map((item, i) => element("tr", {}, element("td", {}, itemButton(i, true)), element("td", { text: item.id })));
    box.replaceChildren(element("table", { "aria-label": `all ${data.item_name}s of ${view().name}` }, element("tbody", {}, ...rows)));
  }

  /** Items of every class whose id or title contains the query, or (documents) whose text has
   * it as a word. */
  function search() {
    const query = $("search").value.trim().toLowerCase();
    const results = $("search-results");
    if (!query) { state.matches = null; results.replaceChildren(); drawScatter(); return; }
    const literal = query.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const word = new RegExp("(^|[^\\p{L}\\p{N}])" + literal + "($|[^\\p{L}\\p{N}])", "iu");
    const found = [];
    data.classes.forEach((v, c) => v.items.forEach((item, i) => {
      if (item.id.toLowerCase().includes(query) || item.title.toLowerCase().includes(query) || (item.text && word.test(item.text))) found.push([c, i]);
    }));
    state.matches = new Set(found.filter(([c]) => c === state.cls).map(([, i]) => i));
    const shown = found.slice(0, 50).map(([c, i]) => element("button", {
      type: "button",
      onclick: () => { if (c !== state.cls) showClass(c); select(i); },
    }, `${data.classes[c].items[i].title} (${data.classes[c].name})`));
    results.replaceChildren(element("p", { class: "meta", text: `${found.length} found${found.length > 50 ? ", the first 50 shown" : ""}` }), ...shown);
    drawScatter();
  }

  // --- controls ----------------------------------------------------------------------
  const options = (select, names) => select.replaceChildren(...names.map((n, i) => element("option", { value: String(i), text: n })));

  function showClass(c) {
    state.cls = c; state.emb = 0; state.clu = 0; state.selected = -1; state.hover = -1;
    $("class").value = String(c);
    options($("embedding"), view().embeddings.map((e) => e.name));
    options($("clustering"), view().clusterings.map((k, i) => `${k.clusters}${i === 0 ? " (report)" : ""}${k.clusters === view().proposed ? " (eigengap)" : ""}`));
    $("detail").replaceChildren(element("p", { class: "meta", text: `Pick a point, a cluster member or a search result to see its explanation (${view().items.length} ${data.item_name}s).` }));
    delete $("detail").dataset.item;
    if ($("search").value.trim()) search();
    drawScatter();
    drawSpectrum();
    showClusters();
    showList();
  }

  options($("class"), data.classes.map((v) => `${v.name} (${v.items.length})`));
  $("class").addEventListener("change", (e) => showClass(Number(e.target.value)));
  $("embedding").addEventListener("change", (e) => { state.emb = Number(e.target.value); drawScatter(); });
  $("clustering").addEventListener("change", (e) => {
    state.clu = Number(e.target.value);
    drawScatter(); showClusters(); showList();
    if (state.selected >= 0) select(state.selected);
  });
  $("search").addEventListener("input", search);
  $("list-view").addEventListener("change", showList);
  window.addEventListener("resize", () => { drawScatter(); drawSpectrum(); });

  // For scripts and browser tests: where a point is drawn, in the page's CSS pixels.
  window.relvisViewer = {
    pointPosition(i) {
      const box = scatter.getBoundingClientRect();
      return { x: box.left + screen[i][0], y: box.top + screen[i][1] };
    },
    state: () => ({ ...state, matches: state.matches ? [...state.matches] : null }),
  };
  if (data.classes.length) showClass(0);
  // Milliseconds from the start of navigation until the first class is drawn: the load time.
  window.relvisViewer.readyAt = performance.now();
  window.relvisViewer.items = data.classes.reduce((n, v) => n + v.items.length, 0);
  document.body.dataset.ready = "true";
})();
