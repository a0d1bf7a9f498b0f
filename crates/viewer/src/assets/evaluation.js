// The evaluation page. Reads the report from the JSON script element; per model draws the
// methods × measures table (sorted by a click on a header, best value per measure marked) and
// the curves as SVG charts (a few lines of tens of points: SVG keeps each line an element that
// can be hidden and hovered); the legend's checkboxes switch a method's lines on and off.
(() => {
  const data = JSON.parse(document.getElementById("relvis-data").textContent);
  const $ = (id) => document.getElementById(id);
  const format = (v, digits) => (v === null || v === undefined ? "–" : v.toFixed(digits));

  // How good a value is, larger being better, as its column says (null: not comparable).
  const goodness = (v, better) => (v === null ? null : better === "higher" ? v : better === "lower" ? -v : better === "nearzero" ? -Math.abs(v) : null);

  // The best row of a column.
  function bestRow(rows, c, better) {
    let best = -1;
    rows.forEach((r, i) => {
      const g = goodness(r.values[c], better);
      if (g !== null && (best < 0 || g > goodness(rows[best].values[c], better))) best = i;
    });
    return best;
  }

  // --- the table -----------------------------------------------------------------------
  function table(model, mi) {
    const order = model.rows.map((_, i) => i);
    const sort = { column: -1, bestFirst: true };
    const best = model.columns.map((col, c) => bestRow(model.rows, c, col.better));
    const head = element("tr", {}, element("th", { scope: "col", text: "method" }));
    const headers = model.columns.map((col, c) => {
      const th = element("th", { scope: "col", title: col.description + ({ higher: " (higher is better)", lower: " (lower is better)", nearzero: " (nearer 0 is better)" }[col.better] || "") },
        element("button", { type: "button", text: col.name, onclick: () => sortBy(c) }));
      head.append(th);
      return th;
    });
    const body = element("tbody");
    const rows = model.rows.map((r, i) => element("tr", { class: r.flagged ? "flagged" : "", "data-method": r.method },
      element("td", {}, element("span", { class: "swatch", style: `--colour: ${r.colour}` }), r.method),
      ...r.values.map((v, c) => element("td", { class: best[c] === i ? "best" : "", text: format(v, model.columns[c].digits) }))));
    function draw() {
      body.replaceChildren(...order.map((i) => rows[i]));
      // aria-sort tells the order of the values themselves (best first is ascending where lower is better).
      const sorted = (c) => (model.columns[c].better === "nearzero" ? "other" : (model.columns[c].better === "lower") !== sort.bestFirst ? "descending" : "ascending");
      headers.forEach((th, c) => {
        if (c === sort.column) {
          th.setAttribute("aria-sort", sorted(c));
          th.dataset.order = sort.bestFirst ? "best-first" : "best-last";
        } else {
          th.removeAttribute("aria-sort");
          delete th.dataset.order;
        }
      });
    }
    // A first click puts the best values first (the largest where no way is better); a second
    // click turns the order round. Rows without a value stay last.
    function sortBy(c) {
      const better = model.columns[c].better === "neither" ? "higher" : model.columns[c].better;
      sort.bestFirst = sort.column === c ? !sort.bestFirst : true;
      sort.column = c;
      const key = (i) => goodness(model.rows[i].values[c], better);
      order.sort((a, b) => {
        if (key(a) === null || key(b) === null) return (key(a) === null) - (key(b) === null);
        return sort.bestFirst ? key(b) - key(a) : key(a) - key(b);
      });
      draw();
    }
    draw();
    tables[mi] = { sortBy, order: () => order.map((i) => model.rows[i].method) };
    return element("div", { class: "table-wrap" }, element("table", { "aria-label": `${model.name}: methods and measures` }, element("thead", {}, head), body));
  }

  // --- the charts ----------------------------------------------------------------------
  const WIDTH = 440, HEIGHT = 270, LEFT = 52, RIGHT = 12, TOP = 26, BOTTOM = 40;

  // About five round tick values over [lo, hi].
  function ticks(lo, hi) {
    const span = hi - lo || Math.abs(hi) || 1;
    const raw = span / 5, power = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    return out;
  }

  function chart(model, spec) {
    const ys = spec.lines.flatMap(([, y]) => y).filter(Number.isFinite);
    let lo = Math.min(0, ...ys), hi = Math.max(...ys, lo + 1e-9);
    const pad = (hi - lo) * 0.05;
    hi += pad;
    lo = lo < 0 ? lo - pad : lo;
    const x0 = spec.x[0], x1 = spec.x[spec.x.length - 1];
    const sx = (x) => LEFT + ((x - x0) / (x1 - x0 || 1)) * (WIDTH - LEFT - RIGHT);
    const sy = (y) => TOP + (1 - (y - lo) / (hi - lo)) * (HEIGHT - TOP - BOTTOM);
    const svg = element("svg:svg", { class: "chart", viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": `${spec.title}: ${spec.y_label} against ${spec.x_label}` });
    svg.append(element("svg:text", { x: LEFT, y: 16, "font-weight": "bold", text: spec.title }));
    for (const v of ticks(lo, hi)) {
      svg.append(element("svg:line", { class: "grid", x1: LEFT, x2: WIDTH - RIGHT, y1: sy(v), y2: sy(v) }),
        element("svg:text", { x: LEFT - 5, y: sy(v) + 4, "text-anchor": "end", text: String(+v.toPrecision(6)) }));
    }
    const xTicks = spec.x_names ? spec.x.map((x, i) => [x, spec.x_names[i]]) : ticks(x0, x1).map((x) => [x, String(+x.toPrecision(6))]);
    // The last name ends at the axis's end, so that a long one stays inside the picture.
    xTicks.forEach(([x, name], i) => svg.append(element("svg:text", { x: sx(x), y: HEIGHT - BOTTOM + 15, "text-anchor": spec.x_names && i > 0 && i === xTicks.length - 1 ? "end" : "middle", text: name })));
    svg.append(
      element("svg:line", { class: "axis", x1: LEFT, x2: LEFT, y1: TOP, y2: HEIGHT - BOTTOM }),
      element("svg:line", { class: "axis", x1: LEFT, x2: WIDTH - RIGHT, y1: HEIGHT - BOTTOM, y2: HEIGHT - BOTTOM }),
      element("svg:text", { x: (LEFT + WIDTH - RIGHT) / 2, y: HEIGHT - 6, "text-anchor": "middle", text: spec.x_label }),
      element("svg:text", { x: 12, y: (TOP + HEIGHT - BOTTOM) / 2, transform: `rotate(-90 12 ${(TOP + HEIGHT - BOTTOM) / 2})`, "text-anchor": "middle", text: spec.y_label }));
    for (const [method, y] of spec.lines) {
      const row = model.rows.find((r) => r.method === method);
      const colour = row ? row.colour : "#5a5a5a";
      const group = element("svg:g", { "data-method": method });
      const points = spec.x.map((x, i) => [sx(x), sy(y[i])]).filter(([, py]) => Number.isFinite(py));
      group.append(element("svg:polyline", { stroke: colour, points: points.map(([px, py]) => `${px.toFixed(2)},${py.toFixed(2)}`).join(" ") }));
      spec.x.forEach((x, i) => {
        if (!Number.isFinite(y[i])) return;
        const name = spec.x_names ? spec.x_names[i] : String(+x.toPrecision(6));
        group.append(element("svg:circle", { cx: sx(x), cy: sy(y[i]), r: 3, fill: colour }, element("svg:title", { text: `${method}: ${spec.x_label} ${name}, ${spec.y_label} ${y[i].toFixed(4)}` })));
      });
      svg.append(group);
    }
    return element("figure", {}, svg);
  }

  function legend(model, charts) {
    const box = element("fieldset", { class: "legend" }, element("legend", { text: "Lines shown" }));
    for (const r of model.rows) {
      const input = element("input", { type: "checkbox", checked: "", onchange: (e) => {
        for (const g of charts.querySelectorAll("g[data-method]")) if (g.dataset.method === r.method) g.classList.toggle("hidden", !e.target.checked);
      } });
      box.append(element("label", {}, input, element("span", { class: "swatch", style: `--colour: ${r.colour}` }), r.method));
    }
    return box;
  }

  // --- the models ----------------------------------------------------------------------
  const tables = [];
  $("settings").textContent = data.settings.map(([k, v]) => `${k}: ${v}`).join(" · ");
  for (const [mi, model] of data.models.entries()) {
    const charts = element("div", { class: "charts" }, ...model.charts.map((c) => chart(model, c)));
    $("models").append(element("section", { "aria-label": model.name, "data-model": String(mi) },
      element("h2", { text: `${model.name} — ${model.inputs} ${data.item_name}s, ${model.seconds.toFixed(0)} s` }),
      table(model, mi), legend(model, charts), charts));
  }

  // Several models: one measure for every method and model, side by side.
  function compare() {
    const name = $("measure").value;
    const methods = [...new Set(data.models.flatMap((m) => m.rows.map((r) => r.method)))];
    const cell = (m, method) => {
      const c = m.columns.findIndex((col) => col.name === name), r = m.rows.find((row) => row.method === method);
      return c < 0 || !r ? "–" : format(r.values[c], m.columns[c].digits);
    };
    $("comparison-table").replaceChildren(
      element("thead", {}, element("tr", {}, element("th", { scope: "col", text: "method" }), ...data.models.map((m) => element("th", { scope: "col", text: m.name })))),
      element("tbody", {}, ...methods.map((method) => element("tr", {}, element("td", { text: method }), ...data.models.map((m) => element("td", { text: cell(m, method) }))))));
  }
  if (data.models.length > 1) {
    const names = [...new Set(data.models.flatMap((m) => m.columns.map((c) => c.name)))];
    $("measure").replaceChildren(...names.map((n) => element("option", { value: n, text: n })));
    $("measure").addEventListener("change", compare);
    $("comparison").hidden = false;
    compare();
  }

  // For scripts and browser tests.
  window.relvisEvaluation = {
    sortBy: (model, column) => tables[model].sortBy(column),
    order: (model) => tables[model].order(),
    readyAt: performance.now(),
  };
  document.body.dataset.ready = "true";
})();
