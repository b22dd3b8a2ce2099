// netmaster's web console. Everything it shows comes from /ui/api/state, fetched again
// whenever /ui/api/events says something changed (and every 5 s for the counters). Server
// text is only ever written as text (textContent, SVG text nodes), never as markup.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const PHYSICAL = "physical network";

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = String(text);
  return e;
}

function hex(dpid) {
  return dpid.toString(16).padStart(16, "0");
}

function setStatus(text, cls) {
  const s = document.getElementById("status");
  s.textContent = text;
  s.className = "status " + (cls || "");
}

function drawTopology(state) {
  const box = document.getElementById("topology");
  const hosts = state.hosts;
  const fabric = state.links.some((l) => l.kind === "uplink");
  const cx = 400, cy = 220, rx = 320, ry = 165;
  const at = new Map();
  hosts.forEach((h, i) => {
    const a = (2 * Math.PI * i) / Math.max(hosts.length, 1) - Math.PI / 2;
    at.set(h.name, [cx + rx * Math.cos(a), cy + ry * Math.sin(a)]);
  });
  if (fabric) at.set(PHYSICAL, [cx, cy]);
  const parts = [];
  for (const l of state.links) {
    const [a, b] = [at.get(l.a), at.get(l.b)];
    if (!a || !b) continue;
    parts.push(svg("line", {
      class: "link " + l.kind, x1: a[0], y1: a[1], x2: b[0], y2: b[1],
      "data-link": l.a + "|" + l.b, "data-kind": l.kind,
    }));
  }
  if (fabric) {
    const g = svg("g", { class: "node fabric", "data-node": PHYSICAL });
    g.append(svg("rect", { x: cx - 70, y: cy - 16, width: 140, height: 32, rx: 6 }));
    g.append(svg("text", { x: cx, y: cy + 5 }, PHYSICAL));
    parts.push(g);
  }
  for (const h of hosts) {
    const [x, y] = at.get(h.name);
    const g = svg("g", { class: "node " + h.state, "data-host": h.name });
    g.append(svg("title", {}, h.name + ": " + h.state + ", switch " + hex(h.dpid)));
    g.append(svg("circle", { cx: x, cy: y, r: 30 }));
    g.append(svg("text", { x: x, y: y + 4 }, h.name));
    const flows = (h.flows === undefined ? "-" : h.flows) + "/" + h.desiredFlows + " flows";
    g.append(svg("text", { class: "small", x: x, y: y + 46 }, flows));
    g.append(svg("text", { class: "small", x: x, y: y + 60 }, h.endpoints + " endpoints"));
    parts.push(g);
  }
  box.replaceChildren(...parts);
}

function drawSwitches(state) {
  const rows = state.hosts.map((h) => el("tr", { "data-switch": h.name },
    el("td", {}, h.name), el("td", {}, hex(h.dpid)), el("td", {}, h.vtep || "-"),
    el("td", { class: h.state }, h.state),
    el("td", { class: "num" }, h.flows === undefined ? "-" : h.flows),
    el("td", { class: "num" }, h.desiredFlows), el("td", { class: "num" }, h.repairs),
    el("td", { class: "num" }, h.endpoints), el("td", { class: "num" }, h.uplinks),
    el("td", { class: "num" }, h.tunnels)));
  document.querySelector("#switches tbody").replaceChildren(...rows);
}

function drawTenants(state) {
  const out = [];
  for (const t of state.tenants) {
    const div = el("div", { "data-tenant": t.name }, el("h3", {}, "tenant " + t.name));
    for (const n of t.networks) {
      const tag = n.tag === undefined ? "" : " " + n.tag;
      const gw = n.gateway ? ", gateway " + n.gateway : "";
      div.append(el("h4", {}, n.name + " (" + n.encap + tag + ", " + n.subnet + gw + ")"));
      const rows = n.endpoints.map((e) => el("tr", { "data-endpoint": t.name + ":" + e.name },
        el("td", {}, e.name), el("td", {}, e.ip || "-"), el("td", {}, e.mac || "-"),
        el("td", {}, e.host || "-"), el("td", {}, e.group || "-")));
      div.append(el("table", { class: "endpoints" },
        el("thead", {}, el("tr", {}, el("th", {}, "endpoint"), el("th", {}, "IPv4"),
          el("th", {}, "MAC"), el("th", {}, "host"), el("th", {}, "group"))),
        el("tbody", {}, ...rows)));
      for (const g of n.multicast) {
        const members = g.members.map((m) => m.endpoint + "@" + m.host).join(", ");
        div.append(el("p", { "data-multicast": t.name + ":" + n.name + " " + g.group },
          "multicast " + g.group + ": " + members));
      }
    }
    if (t.groups.length) {
      const rows = t.groups.map((g) => el("tr", { "data-group": t.name + ":" + g.name },
        el("td", {}, g.name), el("td", {}, g.network), el("td", {}, g.policies.join(", ") || "-"),
        el("td", {}, g.netProfile || "-"), el("td", {}, g.defaultDeny ? "yes" : "no"),
        el("td", { class: "num" }, g.endpoints)));
      div.append(el("h4", {}, "endpoint groups"), el("table", { class: "groups" },
        el("thead", {}, el("tr", {}, el("th", {}, "group"), el("th", {}, "network"),
          el("th", {}, "policies"), el("th", {}, "QoS profile"), el("th", {}, "default deny"),
          el("th", {}, "endpoints"))),
        el("tbody", {}, ...rows)));
    }
    for (const p of t.policies) {
      div.append(el("h4", {}, "policy " + p.name));
      const rows = p.rules.map((r) => el("tr", { "data-rule": t.name + ":" + p.name + ":" + r.id },
        el("td", {}, r.id), el("td", {}, r.text),
        el("td", { class: "num" }, r.packets), el("td", { class: "num" }, r.bytes)));
      div.append(el("table", { class: "rules" },
        el("thead", {}, el("tr", {}, el("th", {}, "rule"), el("th", {}, "what"),
          el("th", {}, "packets"), el("th", {}, "bytes"))),
        el("tbody", {}, ...rows)));
    }
    out.push(div);
  }
  document.getElementById("tenants").replaceChildren(...out);
}

function drawEvents(state) {
  const items = state.events.slice().reverse().map((e) => el("li", { class: e.kind },
    new Date(e.atMs).toLocaleTimeString() + "  " + e.kind + "  " + e.subject + ": " + e.text));
  document.getElementById("events").replaceChildren(...items);
}

function render(state) {
  document.getElementById("snapshot").textContent = "snapshot " + state.snapshot;
  drawTopology(state);
  drawSwitches(state);
  drawTenants(state);
  drawEvents(state);
}

async function refresh() {
  const r = await fetch("/ui/api/state", { cache: "no-store", credentials: "same-origin" });
  if (!r.ok) {
    setStatus("state not available: " + r.status, "down");
    return;
  }
  render(await r.json());
}

let queued = null;
function schedule() {
  if (queued !== null) return;
  queued = setTimeout(() => {
    queued = null;
    refresh().catch((e) => setStatus("state not available: " + e, "down"));
  }, 50);
}

function traceText(t) {
  const lines = [t.packet + " (snapshot " + t.snapshot + ")"];
  for (const h of t.hops) {
    lines.push("", h.host + " (switch " + hex(h.dpid) + "), in_port " + h.inPort + ": " + h.arrived);
    for (const s of h.steps) {
      lines.push("  table " + String(s.table).padStart(2) + "  " + ownerText(s.owner));
      lines.push("            " + s.flow);
    }
    if (h.tableMiss !== undefined) lines.push("  table " + h.tableMiss + "  no flow matched: dropped");
    for (const o of h.outputs) lines.push("  -> output " + o.port + ": " + o.to);
    for (const n of h.notes || []) lines.push("  note: " + n);
    if (h.live) {
      const l = h.live;
      lines.push("  live: " + (l.error ? "no answer: " + l.error
        : (l.agrees ? "Open vSwitch matched the same flows" : "Open vSwitch matched other flows")
          + (l.datapathActions ? "; datapath actions: " + l.datapathActions : "")));
    }
  }
  lines.push("", "verdict: " + t.verdict.summary);
  return lines.join("\n");
}

function ownerText(o) {
  return [o.kind, (o.objects || []).join(","), o.detail || ""].filter((x) => x).join(" ");
}

async function trace(ev) {
  ev.preventDefault();
  const f = new FormData(ev.target);
  const body = {
    tenant: f.get("tenant"), from: f.get("from"), to: f.get("to"),
    protocol: f.get("protocol"), live: f.get("live") === "on",
  };
  if (f.get("dport")) body.dport = Number(f.get("dport"));
  const out = document.getElementById("trace-result");
  out.textContent = "tracing…";
  const r = await fetch("/ui/api/trace", {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-Netmaster-Console": "1" },
    body: JSON.stringify(body),
  });
  const answer = await r.json();
  out.textContent = r.ok ? traceText(answer) : "refused (" + r.status + "): " + answer.error;
}

function start() {
  document.getElementById("trace-form").addEventListener("submit", (ev) => {
    trace(ev).catch((e) => { document.getElementById("trace-result").textContent = String(e); });
  });
  const events = new EventSource("/ui/api/events");
  events.addEventListener("change", schedule);
  events.onopen = () => setStatus("live", "live");
  events.onerror = () => setStatus("reconnecting…", "down");
  setInterval(schedule, 5000);
  schedule();
}

start();
