/* geoplan gap-map runtime (part of geoplan, MIT). Builds every layer of a gap map from one JSON payload.
 *
 * Safety rule: strings from the data (names, reasons, titles) reach the page only through textContent,
 * never innerHTML, so a compound named "<img src=x onerror=...>" shows as that text. The only markup built
 * from strings is the facility SVG, whose shape and colour are checked against fixed lists below, and the
 * layer control's names, which Leaflet inserts as HTML and so get escaped by esc() first.
 * The page itself is a fixed skeleton (gapmap.html) calling geoplan.start(): no data is ever script source.
 */
(function () {
  "use strict";

  var G = (window.geoplan = { ready: false, layers: {}, map: null, data: null });
  var D, T, W, map, renderer, ctxRenderer, legendRule;
  var legendParts = []; // {node, keys}: a legend part is shown while one of its layers is on the map

  var ORDER = { not_applicable: 0, other: 1, not_evaluable: 2, pass: 3, fail: 4 }; // fails drawn on top
  var KNOWN = ["pass", "fail", "not_evaluable", "not_applicable"];
  var HEX = /^#[0-9a-fA-F]{6}$/;
  var SHAPES = {
    square: '<rect x="2.5" y="2.5" width="11" height="11"/>',
    triangle: '<polygon points="8,1.2 15,14.2 1,14.2"/>',
    diamond: '<polygon points="8,0.8 15.2,8 8,15.2 0.8,8"/>',
    circle: '<circle cx="8" cy="8" r="6.2"/>',
    pentagon: '<polygon points="8,1 15,6.1 12.3,14.4 3.7,14.4 1,6.1"/>',
    hexagon: '<polygon points="8,1 14.1,4.5 14.1,11.5 8,15 1.9,11.5 1.9,4.5"/>',
    cross: '<polygon points="5.5,1 10.5,1 10.5,5.5 15,5.5 15,10.5 10.5,10.5 10.5,15 5.5,15 5.5,10.5 1,10.5 1,5.5 5.5,5.5"/>',
    star: '<polygon points="8,0.8 10.1,5.6 15.3,6 11.3,9.4 12.6,14.6 8,11.8 3.4,14.6 4.7,9.4 0.7,6 5.9,5.6"/>'
  };

  /* ---- small helpers ---- */

  // A column is a plain array (numbers) or a dictionary-encoded {d: uniques, i: indices} (strings).
  function col(c, i) {
    if (c === null || c === undefined) return null;
    if (Array.isArray(c)) return c[i] === undefined ? null : c[i];
    var k = c.i[i];
    return k === undefined || k < 0 ? null : c.d[k];
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  // For the one Leaflet API that takes HTML (layer-control names): the text, shown as itself.
  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }

  // A community's status under a rule: the audit's, or for the what-if rule the one the sites switched on give.
  function statusOf(r, i) {
    if (W && W.now && r.id === W.rule) {
      var code = W.now[W.rows[i]];
      if (code === 1) return "pass";
      if (code === 0) return "fail";
    }
    return col(r.status, i);
  }

  function statusKey(s) { return KNOWN.indexOf(s) >= 0 ? s : "other"; }
  function statusLabel(s) { return s === null ? T.status_missing : (T.status[s] || s); }
  function statusColor(s) { return D.colors[statusKey(s)]; }
  function safeColor(c) { return HEX.test(c) ? c : "#666666"; }

  function svg(shape, color, hollow, size) {
    color = safeColor(color);
    return '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16" width="' + size + '" height="' + size +
      '"><g fill="' + (hollow ? "#ffffff" : color) + '" stroke="' + (hollow ? color : "#222222") +
      '" stroke-width="' + (hollow ? 2.4 : 1.1) + '">' + (SHAPES[shape] || SHAPES.circle) + "</g></svg>";
  }

  function row(tbody, label, value) {
    if (value === null || value === undefined || value === "") return;
    var tr = el("tr");
    tr.appendChild(el("th", null, label));
    tr.appendChild(el("td", null, value));
    tbody.appendChild(tr);
  }

  function withUnit(v, unit) {
    if (v === null) return null;
    if (unit === "m") v = Math.round(v); // whole metres: the network is not more precise than that
    return unit ? v + " " + unit : String(v);
  }

  function table(cls, fill) {
    var tb = el("tbody");
    fill(tb);
    if (!tb.childNodes.length) return null;
    var t = el("table", cls);
    t.appendChild(tb);
    return t;
  }

  function swatch(color, round) {
    var s = el("span", "gp-swatch" + (round ? " gp-round" : ""));
    s.style.background = safeColor(color);
    return s;
  }

  function popupAt(latlng, content) {
    // The top padding keeps an auto-panned popup clear of the title box.
    L.popup({ maxWidth: 380, minWidth: 240, maxHeight: 420, autoPanPaddingTopLeft: [60, 110],
      autoPanPaddingBottomRight: [24, 24] })
      .setLatLng(latlng).setContent(content).openOn(map);
  }

  /* ---- popups ---- */

  function ruleSection(r, i, active) {
    var st = col(r.status, i);
    var sec = el("div", "gp-rule" + (active ? " gp-active" : ""));
    var head = el("div", "gp-rule-head");
    var badge = el("span", "gp-badge gp-" + statusKey(st), statusLabel(st));
    badge.style.background = statusColor(st);
    head.appendChild(badge);
    head.appendChild(el("span", "gp-rule-title", r.title));
    sec.appendChild(head);
    var unit = col(r.unit, i);
    var t = table("gp-figures", function (tb) {
      row(tb, unit === "m" ? T.distance : T.value, withUnit(col(r.value, i), unit));
      row(tb, T.minutes, col(r.minutes, i));
      row(tb, T.threshold, withUnit(col(r.threshold, i), unit));
      if (st === "fail") row(tb, T.shortfall, withUnit(col(r.shortfall, i), unit));
      row(tb, T.facility, col(r.facility, i));
      var b = col(r.basis, i);
      row(tb, T.basis, b === null ? null : (T.basis_values[b] || b));
      row(tb, T.reason, col(r.reason, i));
    });
    if (t) sec.appendChild(t);
    return sec;
  }

  // The feature's name, id (+ extra rows), then every rule, the layer's own rule first.
  function featurePopup(set, i, active, extraRows) {
    var box = el("div", "gp-popup");
    box.appendChild(el("div", "gp-popup-title", col(set.name, i) || T.unnamed));
    var meta = table("gp-meta", function (tb) {
      row(tb, T.id, col(set.id, i));
      if (extraRows) extraRows(tb, i);
    });
    if (meta) box.appendChild(meta);
    var rules = set.rules.slice();
    if (active !== null && active !== undefined) {
      rules.splice(active, 1);
      rules.unshift(set.rules[active]);
    }
    rules.forEach(function (r, k) { box.appendChild(ruleSection(r, i, k === 0 && active !== null)); });
    return box;
  }

  /* ---- layers ---- */

  // Community markers are made when a rule layer is first shown, so hidden rule layers cost nothing at
  // open time (20k points x several rules).
  var LazyGroup = L.FeatureGroup.extend({
    onAdd: function (m) {
      if (this._gpBuild) {
        var build = this._gpBuild;
        this._gpBuild = null;
        build().forEach(this.addLayer, this);
      }
      return L.FeatureGroup.prototype.onAdd.call(this, m);
    }
  });

  function hover(group, set) {
    var tip = L.tooltip({ direction: "top", offset: [0, -6], opacity: 0.95 });
    group.on("mouseover", function (e) {
      var i = e.layer.options.gpi;
      if (i === undefined) return;
      tip.setLatLng(e.layer.getLatLng()).setContent(el("span", null, col(set.name, i) || T.unnamed));
      map.openTooltip(tip);
    });
    group.on("mouseout", function () { map.closeTooltip(tip); });
  }

  // Small dots when the whole city is in view (20k points), larger ones on a district.
  function radius() {
    var z = map.getZoom();
    return z >= 15 ? 7 : z >= 13 ? 5.5 : 4;
  }

  function resizePoints() {
    var r = radius();
    D.communities.rules.forEach(function (_, k) {
      var g = G.layers["community:" + k];
      if (!g || !map.hasLayer(g)) return;
      g.eachLayer(function (m) { if (m.options.radius !== r) m.setRadius(r); });
    });
  }

  // The rule's title, and when no community could be evaluated, that it was not (never "fail 0").
  function ruleLegendText(r) {
    var c = r.counts || {};
    if ((c.pass || 0) + (c.fail || 0) > 0) return r.title;
    return r.title + " — " + T.none_evaluable.replace("{n}", c.not_evaluable || 0)
      .replace("{total}", D.communities.n);
  }

  function communityLayer(ri) {
    var c = D.communities, r = c.rules[ri];
    var g = new LazyGroup();
    g._gpBuild = function () {
      var idx = [];
      for (var i = 0; i < c.n; i++) idx.push(i);
      idx.sort(function (a, b) {
        return ORDER[statusKey(statusOf(r, a))] - ORDER[statusKey(statusOf(r, b))] || a - b;
      });
      return idx.map(function (i) {
        return L.circleMarker([c.lat[i], c.lon[i]], {
          renderer: renderer, radius: radius(), weight: 1, color: "#333333", opacity: 0.9,
          fillColor: statusColor(statusOf(r, i)), fillOpacity: 0.9, gpi: i
        });
      });
    };
    g.on("click", function (e) { popupAt(e.layer.getLatLng(), featurePopup(c, e.layer.options.gpi, ri)); });
    // Rule layers share the same points, so only one is shown at a time (stacked, the top one would hide
    // the others). Deferred: the layer control ignores layer changes made while it handles a click, and
    // would then re-add the removed layer on the next click.
    g.on("add", function () {
      if (legendRule) legendRule.textContent = ruleLegendText(r);
      setTimeout(function () {
        if (!map.hasLayer(g)) return;
        c.rules.forEach(function (_, k) {
          var other = G.layers["community:" + k];
          if (k !== ri && other && map.hasLayer(other)) map.removeLayer(other);
        });
      }, 0);
    });
    g.on("remove", function () {
      if (legendRule && legendRule.textContent === ruleLegendText(r)) legendRule.textContent = "";
    });
    hover(g, c);
    return g;
  }

  function facilityLayer(t) {
    var f = D.facilities, ty = f.types[t];
    var icons = [true, false].map(function (hollow) {
      return L.divIcon({ className: "gp-fac", html: svg(ty.shape, ty.color, hollow, 16), iconSize: [16, 16] });
    });
    var g;
    if (f.cluster && L.markerClusterGroup) {
      g = L.markerClusterGroup({
        showCoverageOnHover: false, maxClusterRadius: 45, disableClusteringAtZoom: 16,
        iconCreateFunction: function (cluster) {
          var n = cluster.getChildCount(), size = n < 10 ? 22 : n < 100 ? 28 : 34;
          var d = el("div", "gp-cluster", n);
          d.style.background = safeColor(ty.color);
          d.style.color = safeColor(ty.ink);
          d.style.width = d.style.height = size + "px";
          return L.divIcon({ html: d, className: "gp-cluster-wrap", iconSize: [size, size] });
        }
      });
    } else {
      g = L.featureGroup();
    }
    // Built at once (facilities are few); a cluster group takes them in one batch.
    var made = [];
    for (var i = 0; i < f.n; i++) {
      if (f.type[i] !== t) continue;
      made.push(L.marker([f.lat[i], f.lon[i]], { icon: icons[f.attached[i] === 0 ? 0 : 1], keyboard: false, gpi: i }));
    }
    if (g.addLayers) g.addLayers(made); else made.forEach(g.addLayer, g);
    g.on("click", function (e) {
      var i = e.layer.options.gpi;
      if (i === undefined) return; // a cluster: it zooms in by itself
      popupAt(e.layer.getLatLng(), featurePopup(f, i, null, function (tb, k) {
        row(tb, T.type, ty.name);
        if (f.attached[k] !== null) row(tb, T.network, f.attached[k] ? T.attached : T.not_attached);
      }));
    });
    hover(g, f);
    return g;
  }

  function rateColor(v) {
    if (v === null || v === undefined) return D.colors.not_evaluable;
    return D.ramp[Math.min(D.ramp.length - 1, Math.floor(v * D.ramp.length))];
  }

  // Areas are drawn under the points whenever they are switched on.
  function underPoints(g) {
    g.on("add", function () { g.bringToBack(); });
    return g;
  }

  function adminLayer(k) {
    var a = D.admin, spec = a.layers[k];
    var g = L.geoJSON(a.geojson, {
      renderer: renderer,
      style: function (ft) {
        var i = ft.properties.i;
        var fill = spec.kind === "rate" ? rateColor(spec.rate[i]) : statusColor(col(spec.block.status, i));
        return { color: "#444444", weight: 1.2, fillColor: fill, fillOpacity: spec.kind === "rate" ? 0.45 : 0.3 };
      }
    });
    g.on("click", function (e) {
      var i = e.layer.feature.properties.i;
      var box = el("div", "gp-popup");
      box.appendChild(el("div", "gp-popup-title", col(a.name, i) || T.unnamed));
      if (spec.kind === "rate") {
        var v = spec.rate[i];
        box.appendChild(el("div", "gp-rule-title", spec.title));
        box.appendChild(el("div", "gp-rate", v === null ? T.no_data : Math.round(v * 1000) / 10 + "%"));
        box.appendChild(el("div", null, T.rate_detail.replace("{passed}", spec.pass[i])
          .replace("{evaluable}", spec.evaluable[i]).replace("{unknown}", spec.unknown[i])));
      } else {
        box.appendChild(ruleSection(spec.block, i, true));
      }
      popupAt(e.latlng, box);
    });
    return underPoints(g);
  }

  function extraLayer(k) {
    var x = D.extras[k];
    var g = L.geoJSON(x.geojson, {
      renderer: renderer,
      style: function (ft) {
        var c = safeColor(ft.properties.c);
        if (x.role === "catchments") return { color: c, weight: 2, dashArray: "6 4", fillColor: c, fillOpacity: 0.04 };
        if (x.role === "fixed") return { color: c, weight: 3, fill: false };
        return { color: c, weight: 1, fillColor: c, fillOpacity: 0.18 };
      },
      pointToLayer: function (ft, latlng) {
        if (x.role === "fixed") {  // a ring around the community's own (failing) circle
          return L.circleMarker(latlng, { renderer: renderer, radius: 9, color: safeColor(ft.properties.c), weight: 3, fill: false });
        }
        var icon = L.divIcon({ className: "gp-fac gp-site", html: svg("star", "#F0E442", false, 22), iconSize: [22, 22] });
        return L.marker(latlng, { icon: icon, keyboard: false });
      }
    });
    g.on("click", function (e) {
      var v = e.layer.feature.properties.v;
      var box = el("div", "gp-popup");
      box.appendChild(el("div", "gp-popup-title", x.title));
      var t = table("gp-meta", function (tb) {
        x.keys.forEach(function (key, j) { row(tb, key, v[j]); });
      });
      if (t) box.appendChild(t);
      popupAt(e.latlng || e.layer.getLatLng(), box);
    });
    return underPoints(g);
  }

  /* ---- context: streets, water, green, admin boundaries (offline, from the payload) ---- */

  var CONTEXT_STYLE = {
    streets: { color: "#8c8c8c", weight: 1, opacity: 0.55 },
    water: { color: "#6baed6", weight: 0.6, fillColor: "#c6dbef", fillOpacity: 0.85 },
    water_lines: { color: "#6baed6", weight: 2, opacity: 0.8 },
    green: { color: "#a1d99b", weight: 0.5, fillColor: "#e5f5e0", fillOpacity: 0.9 },
    boundaries: { color: "#4d4d4d", weight: 2, dashArray: "8 4", fill: false, opacity: 0.8 }
  };

  // The street layer: thousands of polylines (a city's strokes) drawn on one canvas of its own in one path,
  // from coordinates projected once to Web Mercator world pixels (zoom 0). Leaflet's Polyline would build a
  // LatLng object per vertex and clip each line separately: seconds at city scale, here milliseconds.
  var StreetLayer = L.Layer.extend({
    initialize: function (streets, style) {
      this._style = style;
      var k = streets.scale, lines = streets.lines, n = 0, j, i;
      for (j = 0; j < lines.length; j++) n += lines[j].length;
      var xy = (this._xy = new Float64Array(n)), box = (this._box = new Float64Array(4 * lines.length));
      var start = (this._start = new Uint32Array(lines.length + 1)), at = 0;
      for (j = 0; j < lines.length; j++) {
        var a = lines[j], x = 0, y = 0, x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
        start[j] = at;
        for (i = 0; i < a.length; i += 2) {
          x += a[i]; y += a[i + 1];
          var lat = Math.max(-85, Math.min(85, y / k)) * Math.PI / 180;
          var wx = (x / k + 180) / 360 * 256;
          var wy = (1 - Math.log(Math.tan(lat) + 1 / Math.cos(lat)) / Math.PI) / 2 * 256;
          xy[at++] = wx; xy[at++] = wy;
          if (wx < x0) x0 = wx; if (wx > x1) x1 = wx; if (wy < y0) y0 = wy; if (wy > y1) y1 = wy;
        }
        box[4 * j] = x0; box[4 * j + 1] = y0; box[4 * j + 2] = x1; box[4 * j + 3] = y1;
      }
      start[lines.length] = at;
    },
    onAdd: function (m) {
      this._canvas = L.DomUtil.create("canvas", "gp-streets");
      this._canvas.style.pointerEvents = "none";
      m.getPane("gp-context").appendChild(this._canvas);
      m.on("moveend zoomend resize viewreset", this._draw, this);
      m.on("zoomstart", this._hide, this);
      this._draw();
    },
    onRemove: function (m) {
      m.off("moveend zoomend resize viewreset", this._draw, this);
      m.off("zoomstart", this._hide, this);
      L.DomUtil.remove(this._canvas);
    },
    _hide: function () { this._canvas.style.visibility = "hidden"; },
    _draw: function () {
      var m = this._map, size = m.getSize(), c = this._canvas, r = window.devicePixelRatio || 1;
      L.DomUtil.setPosition(c, m.containerPointToLayerPoint([0, 0]));
      c.width = size.x * r; c.height = size.y * r;
      c.style.width = size.x + "px"; c.style.height = size.y + "px";
      c.style.visibility = "";
      var ctx = c.getContext("2d"), pb = m.getPixelBounds(), s = Math.pow(2, m.getZoom());
      var ox = pb.min.x, oy = pb.min.y, vx0 = ox / s, vy0 = oy / s, vx1 = pb.max.x / s, vy1 = pb.max.y / s;
      var xy = this._xy, box = this._box, start = this._start, st = this._style;
      ctx.setTransform(r, 0, 0, r, 0, 0);
      ctx.strokeStyle = safeColor(st.color);
      ctx.globalAlpha = st.opacity;
      ctx.lineWidth = st.weight;
      ctx.lineJoin = ctx.lineCap = "round";
      ctx.beginPath();
      for (var j = 0; j + 1 < start.length; j++) {
        if (box[4 * j + 2] < vx0 || box[4 * j] > vx1 || box[4 * j + 3] < vy0 || box[4 * j + 1] > vy1) continue;
        var i = start[j];
        ctx.moveTo(xy[i] * s - ox, xy[i + 1] * s - oy);
        for (i += 2; i < start[j + 1]; i += 2) ctx.lineTo(xy[i] * s - ox, xy[i + 1] * s - oy);
      }
      ctx.stroke();
    }
  });

  function contextLayer(name) {
    var C = D.context || {}, opts = function (style) {
      return L.extend({ renderer: ctxRenderer, interactive: false, pane: "gp-context" }, style);
    };
    if (name === "streets") return new StreetLayer(C.streets, CONTEXT_STYLE.streets);
    if (name === "water") {
      var g = L.featureGroup();
      if (C.water) g.addLayer(L.geoJSON(C.water, { style: opts(CONTEXT_STYLE.water), interactive: false }));
      if (C.water_lines) g.addLayer(L.geoJSON(C.water_lines, { style: opts(CONTEXT_STYLE.water_lines), interactive: false }));
      return g;
    }
    if (name === "green") return L.geoJSON(C.green, { style: opts(CONTEXT_STYLE.green), interactive: false });
    if (name === "boundaries") return L.geoJSON(D.admin.geojson, { style: opts(CONTEXT_STYLE.boundaries), interactive: false });
    throw new Error("geoplan: unknown context layer " + name);
  }

  /* ---- what-if: switch suggested and candidate sites on and off, recompute the rule's coverage ---- */

  // As the audit computes its rates: pass / (pass + fail) over the communities counted in rates, and
  // weighted by the rule's weight where known. A failing community passes when a site that is on reaches it.
  function whatifRecompute() {
    var st = W.base.slice(), i;
    W.sites.covers.forEach(function (list, s) {
      if (!W.state[s]) return;
      for (var k = 0; k < list.length; k++) if (st[list[k]] === 0) st[list[k]] = 1;
    });
    W.now = st;
    var ev = 0, pa = 0, wt = 0, wp = 0;
    for (i = 0; i < st.length; i++) {
      if (!W.counted[i] || st[i] < 0) continue;
      ev++;
      if (st[i] === 1) pa++;
      var w = W.weight[i];
      if (w !== null) { wt += w; if (st[i] === 1) wp += w; }
    }
    W.figure = { passed: pa, evaluated: ev, rate: ev ? pa / ev : null, weighted: wt > 0 ? wp / wt : null };
  }

  function pct(v) { return v === null ? T.no_data : (Math.round(v * 1000) / 10).toFixed(1) + " %"; }

  function whatifRefresh() {
    whatifRecompute();
    var f = W.figure;
    W.figureNode.textContent = T.whatif_rate.replace("{passed}", f.passed).replace("{evaluated}", f.evaluated)
      .replace("{rate}", pct(f.rate));
    W.weightedNode.textContent = T.whatif_weighted.replace("{weight}", T.whatif_weights[W.weight_name] ||
      W.weight_name).replace("{rate}", pct(f.weighted));
    D.communities.rules.forEach(function (r, k) {
      var g = G.layers["community:" + k];
      if (r.id !== W.rule || !g || g._gpBuild) return;  // not built yet: built with the current state
      g.eachLayer(function (m) { m.setStyle({ fillColor: statusColor(statusOf(r, m.options.gpi)) }); });
    });
    W.markers.forEach(function (m, s) { m.setStyle(siteStyle(s)); });
    W.boxes.forEach(function (b, s) { b.checked = !!W.state[s]; });
  }

  function siteStyle(s) {
    return W.state[s] ? { color: "#000000", weight: 3, dashArray: null, opacity: 1 }
      : { color: "#777777", weight: 2, dashArray: "3 3", opacity: 0.9 };
  }

  G.setSite = function (s, on) {
    W.state[s] = on ? 1 : 0;
    whatifRefresh();
  };

  function whatifSites() {
    var g = L.featureGroup(), S = W.sites;
    W.markers = S.kind.map(function (_, s) {
      var m = L.circleMarker([S.lat[s], S.lon[s]], L.extend({ renderer: renderer, radius: 13, fill: false, gps: s },
        siteStyle(s)));
      g.addLayer(m);
      return m;
    });
    g.on("click", function (e) { G.setSite(e.layer.options.gps, !W.state[e.layer.options.gps]); });
    return g;
  }

  function addWhatif() {
    W = D.whatif;
    if (!W || !W.sites.kind.length) { W = null; return; }
    W.state = W.sites.on.slice();
    W.boxes = [];
    W.markers = [];
    var ctl = L.control({ position: "bottomleft" });
    ctl.onAdd = function () {
      var box = el("div", "gp-whatif");
      box.appendChild(el("div", "gp-legend-title", T.whatif));
      W.figureNode = box.appendChild(el("div", "gp-whatif-figure"));
      W.weightedNode = box.appendChild(el("div", "gp-whatif-weighted"));
      var S = W.sites;
      S.kind.forEach(function (kind, s) {
        var label = el("label", "gp-legend-item gp-whatif-site");
        var input = el("input");
        input.type = "checkbox";
        input.checked = !!W.state[s];
        input.setAttribute("data-site", String(s));
        input.addEventListener("change", function () { G.setSite(s, input.checked); });
        W.boxes.push(input);
        label.appendChild(input);
        var name = col(S.name, s);
        label.appendChild(el("span", null, col(S.id, s) + (name ? " " + name : "") + " (" +
          (kind === "suggested" ? T.whatif_suggested : T.whatif_candidate) + ") — " +
          T.whatif_serves.replace("{n}", S.covers[s].length)));
        box.appendChild(label);
      });
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    ctl.addTo(map);
    whatifRecompute();
  }

  /* ---- title, legend ---- */

  function addTitle() {
    var box = el("div", "gp-title");
    box.appendChild(el("div", "gp-title-main", D.title.main));
    D.title.sub.forEach(function (s) { box.appendChild(el("div", "gp-title-sub", s)); });
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    map.getContainer().appendChild(box);
  }

  function legendItem(parent, mark, label) {
    var item = el("div", "gp-legend-item");
    item.appendChild(mark);
    item.appendChild(el("span", null, label));
    parent.appendChild(item);
    return item;
  }

  function keys(prefix, n, keep) {
    var out = [];
    for (var k = 0; k < n; k++) if (!keep || keep(k)) out.push(prefix + k);
    return out;
  }

  function legendPart(parent, layerKeys) {
    var part = parent.appendChild(el("div", "gp-legend-part"));
    legendParts.push({ node: part, keys: layerKeys });
    return part;
  }

  function refreshLegend() {
    legendParts.forEach(function (p) {
      var on = p.keys.some(function (k) { return G.layers[k] && map.hasLayer(G.layers[k]); });
      p.node.style.display = on ? "" : "none";
    });
  }

  function addLegend() {
    var ctl = L.control({ position: "bottomright" });
    ctl.onAdd = function () {
      var box = el("div", "gp-legend");
      box.appendChild(el("div", "gp-legend-title", T.legend));
      var adminLayers = D.admin ? D.admin.layers : [];
      var statusKeys = keys("community:", D.communities.rules.length).concat(
        keys("admin:", adminLayers.length, function (k) { return adminLayers[k].kind === "status"; }));
      if (statusKeys.length) {
        var sp = legendPart(box, statusKeys);
        sp.appendChild(el("div", "gp-legend-head", T.communities));
        legendRule = sp.appendChild(el("div", "gp-legend-rule", D.communities.rules.length ?
          ruleLegendText(D.communities.rules[0]) : ""));
        KNOWN.forEach(function (s) { legendItem(sp, swatch(D.colors[s], true), T.status[s]); });
      }
      var f = D.facilities;
      if (f && f.types.length) {
        var fp = legendPart(box, keys("facility:", f.types.length));
        fp.appendChild(el("div", "gp-legend-head", T.facilities));
        f.types.forEach(function (ty, k) {
          var m = el("span", "gp-mark");
          m.innerHTML = svg(ty.shape, ty.color, false, 14); // fixed shapes and checked colours only
          legendItem(legendPart(fp, ["facility:" + k]), m, ty.name + " (" + ty.count + ")");
        });
        if (f.attached.indexOf(0) >= 0) {
          var h = el("span", "gp-mark");
          h.innerHTML = svg("circle", "#444444", true, 14);
          legendItem(fp, h, T.not_attached);
        }
      }
      var rateKeys = keys("admin:", adminLayers.length, function (k) { return adminLayers[k].kind === "rate"; });
      if (rateKeys.length) {
        var rp = legendPart(box, rateKeys);
        rp.appendChild(el("div", "gp-legend-head", T.rate_layer));
        D.ramp.forEach(function (c, k) {
          var lo = Math.round(100 * k / D.ramp.length), hi = Math.round(100 * (k + 1) / D.ramp.length);
          legendItem(rp, swatch(c, false), lo + "–" + hi + "%");
        });
      }
      var ctxNames = ["streets", "water", "green", "boundaries"].filter(function (n) {
        return (D.map.layers || []).some(function (l) { return l.key === "context:" + n; });
      });
      if (ctxNames.length) {
        var cp = legendPart(box, ctxNames.map(function (n) { return "context:" + n; }));
        cp.appendChild(el("div", "gp-legend-head", T.context));
        ctxNames.forEach(function (n) {
          var st = CONTEXT_STYLE[n], sw = swatch(st.fillColor || "#ffffff", false);
          sw.style.borderColor = safeColor(st.color);
          if (n === "streets" || n === "boundaries") {  // a line, as drawn
            sw.style.background = "none";
            sw.style.border = "none";
            sw.style.borderTop = (n === "boundaries" ? "2px dashed " : "2px solid ") + safeColor(st.color);
            sw.style.height = "2px";
          }
          legendItem(legendPart(cp, ["context:" + n]), sw, T[n]);
        });
      }
      (D.extras || []).forEach(function (x, k) {
        var part = legendPart(box, ["extra:" + k]), m;
        if (x.legend && x.legend.length > 0) {  // typed areas: the layer's name, then one swatch per type
          part.appendChild(el("div", "gp-legend-rule", x.title));
          x.legend.forEach(function (it) {
            var sw = swatch(it.color, false);
            if (x.role === "catchments") {  // a dashed outline in the type's colour, as drawn
              sw.className += " gp-dashed";
              sw.style.borderColor = safeColor(it.color);
              sw.style.borderWidth = "2px";
            }
            legendItem(part, sw, it.label);
          });
          return;
        }
        if (x.role === "suggestions") {
          m = el("span", "gp-mark");
          m.innerHTML = svg("star", "#F0E442", false, 14);
        } else {
          m = swatch(x.color, x.role === "fixed");
          if (x.role === "catchments") m.className += " gp-dashed";
          if (x.role === "fixed") {  // a ring, as drawn on the map
            m.style.background = "none";
            m.style.border = "3px solid " + safeColor(x.color);
            m.style.boxSizing = "border-box";
          }
        }
        legendItem(part, m, x.title);
      });
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    ctl.addTo(map);
  }

  /* ---- entry points called by the page ---- */

  // The whole page: map, basemap, runtime, every layer of payload.map.layers (in order), the layer control.
  G.start = function (mapId, dataId) {
    var spec = JSON.parse(document.getElementById(dataId).textContent).map;
    var m = L.map(mapId, { center: spec.center, zoom: spec.zoom, zoomControl: true, preferCanvas: true });
    var base = spec.basemap;
    if (base) {
      L.tileLayer(base.url, { attribution: base.html ? base.attribution : esc(base.attribution),
        maxZoom: base.max_zoom }).addTo(m);
    }
    G.init(m, dataId);
    // addOverlay, not an object of names: two layers may carry the same name.
    var control = L.control.layers({}, {}, { position: "topright", collapsed: false, autoZIndex: true });
    spec.layers.forEach(function (item) {
      var layer = G.layer(item.key);
      if (item.show) layer.addTo(m);
      control.addOverlay(layer, esc(item.name));
    });
    control.addTo(m);
    G.finish();
  };

  G.init = function (leafletMap, dataId) {
    map = G.map = leafletMap;
    D = G.data = JSON.parse(document.getElementById(dataId).textContent);
    T = D.text;
    // One canvas for points and areas: a second canvas would sit on top of the first and swallow its clicks.
    renderer = L.canvas({ padding: 0.5, tolerance: 3 });
    // Context (streets, water, green, boundaries) in a pane under the data, never taking a click.
    var pane = map.createPane("gp-context");
    pane.style.zIndex = 350;
    pane.style.pointerEvents = "none";
    ctxRenderer = L.canvas({ padding: 0.5, pane: "gp-context" });
    // Without a tile layer Leaflet has no zoom limits, and the cluster plugin needs one.
    if (map.options.maxZoom === undefined) map.setMaxZoom(19);
    if (map.options.minZoom === undefined) map.setMinZoom(3);
    map.options.zoomSnap = 0.25; // fit the data snugly rather than to the next whole zoom level
    map.getContainer().classList.add("gp-map");
    if (!D.tiles) map.getContainer().classList.add("gp-no-tiles");
    L.control.scale({ imperial: false, position: "bottomleft", maxWidth: 200 }).addTo(map);
    addTitle();
    addWhatif();
    addLegend();
    map.on("zoomend", resizePoints);
  };

  // key: "community:<i>", "facility:<i>", "admin:<i>", "extra:<i>" (indices into the payload's lists).
  G.layer = function (key) {
    var parts = key.split(":"), k = parseInt(parts[1], 10), layer;
    if (parts[0] === "community") layer = communityLayer(k);
    else if (parts[0] === "facility") layer = facilityLayer(k);
    else if (parts[0] === "admin") layer = adminLayer(k);
    else if (parts[0] === "extra") layer = extraLayer(k);
    else if (parts[0] === "context") layer = contextLayer(parts[1]);
    else if (parts[0] === "whatif") layer = whatifSites();
    else throw new Error("geoplan: unknown layer key " + key);
    G.layers[key] = layer;
    layer.on("add remove", refreshLegend);
    return layer;
  };

  G.finish = function () {
    var b = L.latLngBounds([]);
    [D.communities, D.facilities].forEach(function (s) {
      if (!s) return;
      for (var i = 0; i < s.n; i++) b.extend([s.lat[i], s.lon[i]]);
    });
    (D.extras || []).forEach(function (x) { b.extend(L.geoJSON(x.geojson).getBounds()); });
    if (!b.isValid() && D.admin) b = L.geoJSON(D.admin.geojson).getBounds();
    // Not animated: a screenshot taken mid-zoom shows a stretched canvas. The padding keeps the data clear
    // of the title (top) and the legend (right).
    if (b.isValid()) {
      map.fitBounds(b, { paddingTopLeft: [50, 100], paddingBottomRight: [230, 40], maxZoom: 16, animate: false });
    }
    resizePoints();
    refreshLegend();
    if (W) whatifRefresh();
    // Canvas paths are drawn on the next animation frame; screenshots wait for this flag.
    requestAnimationFrame(function () {
      requestAnimationFrame(function () {
        G.readyMs = performance.now(); // since navigation start: the "time to open" a planner waits
        G.ready = true;
      });
    });
  };
})();
