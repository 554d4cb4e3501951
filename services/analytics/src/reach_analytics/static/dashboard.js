// The dashboard: reads the results API and draws it with the bundled Chart.js. Plain JS, no build.
// A panel whose endpoint answers 404 or an empty list says "no data" instead of breaking.
// window.reachDashboard exposes the charts and any error, for people and for the browser test.
"use strict";

const state = { campaigns: [], selected: null, by: "variant", charts: {}, errors: [] };
window.reachDashboard = state;
window.addEventListener("error", (e) => state.errors.push(String(e.message)));
window.addEventListener("unhandledrejection", (e) => state.errors.push(String(e.reason)));

const COLORS = { treated: "#2f6fdf", holdout: "#9aa5b1", ci: "rgba(47,111,223,0.25)", point: "#1d3f8f",
  bad: "#c2410c", ok: "#15803d" };
Chart.defaults.animation = false;  // drawn at once: nothing to wait for in screenshots and tests
Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
Chart.defaults.maintainAspectRatio = false;

const $ = (id) => document.getElementById(id);
const int = (n) => (n == null ? "–" : Number(n).toLocaleString("en-US"));
const pct = (r) => (r == null ? "–" : (100 * r).toFixed(1) + "%");
const pp = (u) => (u == null ? "–" : (u >= 0 ? "+" : "") + (100 * u).toFixed(1) + " pp");

/** GET a path of this service: the JSON body, or null for 404 (an endpoint not there yet). */
async function getJson(path) {
  const response = await fetch(path, { headers: { accept: "application/json" } });
  if (response.status === 404) return null;
  if (response.status === 401 || response.status === 403) {
    throw new Error(`the results API answered ${response.status}: sign in (through the brokerage's sign-in proxy) with a role that may read results`);
  }
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** Show a panel's "no data" note (and hide its chart), or hide the note. */
function noData(panel, message) {
  const note = $(panel + "-empty");
  const canvas = $(panel + "-chart");
  note.hidden = !message;
  if (message) note.textContent = message;
  if (canvas) canvas.parentElement.hidden = Boolean(message);
  if (message && state.charts[panel]) {
    state.charts[panel].destroy();
    delete state.charts[panel];
  }
  return Boolean(message);
}

function draw(panel, config) {
  if (state.charts[panel]) state.charts[panel].destroy();
  state.charts[panel] = new Chart($(panel + "-chart"), config);
}

function ci(row) {
  const low = row.uplift_ci_low ?? row.ci_low, high = row.uplift_ci_high ?? row.ci_high;
  return low == null || high == null ? null : [low, high];
}

function upliftText(row) {
  const uplift = row.uplift ?? row.absolute_uplift;
  const interval = ci(row);
  const range = interval ? `<span class="ci"> [${pp(interval[0])}, ${pp(interval[1])}]</span>` : "";
  const flag = row.small_sample && uplift != null
    ? '<span class="flag" title="too few clients to tell">small sample</span>' : "";
  return `${pp(uplift)}${range}${flag}`;
}

function renderKpis(campaigns) {
  const sum = (f) => campaigns.reduce((n, c) => n + (f(c) || 0), 0);
  const treated = sum((c) => c.treated.clients), converted = sum((c) => c.treated.converted);
  const held = sum((c) => c.holdout.clients), heldConverted = sum((c) => c.holdout.converted);
  const kpis = [
    ["campaigns", "Campaigns", int(campaigns.length)],
    ["requested", "Requested", int(sum((c) => c.requested))],
    ["sent", "Sent", int(sum((c) => c.sent))],
    ["suppressed", "Suppressed at send", int(sum((c) => c.suppressed))],
    ["held_out", "Held out", int(sum((c) => c.held_out))],
    ["treated_rate", "Treated conversion", treated ? pct(converted / treated) : "–"],
    ["holdout_rate", "Holdout conversion", held ? pct(heldConverted / held) : "–"],
  ];
  if (campaigns.some((c) => c.suppressed_by_gate != null)) {
    kpis.splice(3, 0, ["stopped", "Stopped by a gate", int(sum((c) => c.suppressed_by_gate))]);
  }
  if (campaigns.some((c) => c.converted_amount != null)) {
    kpis.push(["converted_amount", "Converted amount (CNY)", int(Math.round(sum((c) => Number(c.converted_amount))))]);
  }
  $("kpis").innerHTML = kpis.map(([key, label, value]) =>
    `<div class="kpi" data-kpi="${key}"><div class="label">${label}</div><div class="value">${value}</div></div>`).join("");
}

function renderTable(campaigns) {
  $("campaigns-empty").hidden = campaigns.length > 0;
  $("campaigns").hidden = campaigns.length === 0;
  const body = $("campaigns").querySelector("tbody");
  body.innerHTML = "";
  for (const c of campaigns) {
    const row = document.createElement("tr");
    row.dataset.campaignId = c.campaign_id;
    row.className = c.campaign_id === state.selected ? "selected" : "";
    const goal = c.goal_event ? `${c.goal_event}, ${c.attribution_window_days} d` : `${c.attribution_window_days} d`;
    const cells = [c.campaign_name, goal, int(c.requested), int(c.sent), int((c.receipts || {}).delivered),
      int(c.suppressed_by_gate), int(c.suppressed), int(c.held_out),
      `${int(c.treated.converted)}/${int(c.treated.clients)} = ${pct(c.treated.rate)}`,
      `${int(c.holdout.converted)}/${int(c.holdout.clients)} = ${pct(c.holdout.rate)}`];
    row.innerHTML = cells.map((text) => `<td></td>`).join("") + `<td>${upliftText(c)}</td>`;
    cells.forEach((text, i) => { row.children[i].textContent = text; });
    row.addEventListener("click", () => select(c.campaign_id));
    body.appendChild(row);
  }
}

/** Uplift estimates as points with their confidence intervals as floating bars, one row each. */
function upliftChart(labels, rows) {
  return {
    type: "bar",
    data: {
      labels,
      datasets: [
        { type: "bar", label: "95% confidence interval", data: rows.map((r) => ci(r)),
          backgroundColor: COLORS.ci, borderColor: COLORS.treated, borderWidth: 1, barPercentage: 0.5 },
        { type: "line", label: "measured uplift", data: rows.map((r) => r.uplift ?? r.absolute_uplift),
          showLine: false, pointRadius: 5, pointBackgroundColor: COLORS.point, borderColor: COLORS.point },
      ],
    },
    options: {
      indexAxis: "y",
      scales: { x: { beginAtZero: true, ticks: { callback: (v) => pp(v) }, title: { display: true, text: "treated − holdout conversion" } } },
      plugins: { tooltip: { callbacks: {
        label: (item) => item.datasetIndex === 0 && item.raw
          ? `CI ${pp(item.raw[0])} … ${pp(item.raw[1])}` : `uplift ${pp(item.raw)}`,
        afterBody: (items) => {
          const r = rows[items[0].dataIndex];
          const lines = [`treated ${int(r.treated.converted)}/${int(r.treated.clients)}`,
            `holdout ${int(r.holdout.converted)}/${int(r.holdout.clients)}`];
          if (r.relative_uplift != null) lines.push(`relative ${(100 * r.relative_uplift).toFixed(0)}%`);
          if (r.holdout_scope === "campaign") lines.push("against the campaign's whole holdout");
          if (r.small_sample) lines.push("small sample: too few clients to tell");
          return lines;
        },
      } } },
    },
  };
}

function renderOverview(campaigns) {
  const rows = campaigns.filter((c) => c.uplift != null);
  if (noData("overview", rows.length ? null : "No campaign has both treated and holdout clients yet.")) return;
  draw("overview", upliftChart(rows.map((c) => c.campaign_name), rows));
}

async function renderFunnel(id) {
  const funnel = await getJson(`campaigns/${encodeURIComponent(id)}/funnel`);
  const stages = (funnel && funnel.stages) || [];
  const stopped = (funnel && funnel.stopped) || [];
  $("stopped").hidden = stopped.length === 0;
  $("stopped").querySelector("tbody").innerHTML = "";
  for (const s of stopped) {
    const row = $("stopped").querySelector("tbody").insertRow();
    [s.gate, s.reason, int(s.count)].forEach((text) => { row.insertCell().textContent = text; });
  }
  const calls = funnel && funnel.calls;
  $("calls").textContent = calls && Object.values(calls).some((n) => n)
    ? "Advisor calls: " + Object.entries(calls).map(([k, n]) => `${k.replace("_", " ")} ${int(n)}`).join(" · ") : "";
  if (noData("funnel", funnel == null ? "No funnel for this campaign (the service does not serve one yet)."
    : stages.length === 0 ? "No funnel stages recorded for this campaign yet." : null)) return;
  draw("funnel", {
    type: "bar",
    data: { labels: stages.map((s) => s.stage.replace("_", " ")),
      datasets: [{ label: "clients", data: stages.map((s) => s.count),
        backgroundColor: stages.map((s) => (["held_out", "suppressed"].includes(s.stage) ? COLORS.holdout : COLORS.treated)) }] },
    options: { indexAxis: "y", plugins: { legend: { display: false } } },
  });
}

async function renderUplift(id) {
  const uplift = await getJson(`campaigns/${encodeURIComponent(id)}/uplift?by=${state.by}`);
  const rows = (uplift && uplift.rows) || [];
  if (noData("uplift", uplift == null ? "No uplift breakdown for this campaign (the service does not serve one yet)."
    : rows.length === 0 ? `No ${state.by} has results yet.` : null)) return;
  draw("uplift", upliftChart(rows.map((r) => (r.small_sample ? `${r.key} (small sample)` : String(r.key))), rows));
}

async function renderDaily(id) {
  const daily = await getJson(`campaigns/${encodeURIComponent(id)}/daily`);
  const days = (daily && daily.days) || [];
  if (noData("daily", daily == null ? "No daily series for this campaign (the service does not serve one yet)."
    : days.length === 0 ? "No day has any outreach for this campaign yet." : null)) return;
  const series = [["requested", COLORS.treated], ["sent", "#0f766e"], ["delivered", "#7c3aed"],
    ["held_out", COLORS.holdout], ["suppressed", COLORS.bad], ["converted", COLORS.ok]];
  draw("daily", {
    type: days.length < 3 ? "bar" : "line",  // a line needs a few days to show anything
    data: { labels: days.map((d) => d.day),
      datasets: series.map(([key, color]) => ({ label: key.replace("_", " "), data: days.map((d) => d[key] ?? 0),
        borderColor: color, backgroundColor: color, tension: 0.2, pointRadius: 2 })) },
    options: { scales: { y: { beginAtZero: true } } },
  });
}

async function select(id) {
  state.selected = id;
  const campaign = state.campaigns.find((c) => c.campaign_id === id);
  $("selected-title").textContent = campaign ? `${campaign.campaign_name} (${id})` : "No campaign selected";
  for (const row of $("campaigns").querySelectorAll("tbody tr")) {
    row.classList.toggle("selected", row.dataset.campaignId === id);
  }
  await Promise.all([renderFunnel(id), renderUplift(id), renderDaily(id)]);
}

async function refresh() {
  const campaigns = (await getJson("campaigns")) || [];
  state.campaigns = campaigns;
  renderKpis(campaigns);
  renderTable(campaigns);
  renderOverview(campaigns);
  if (!campaigns.some((c) => c.campaign_id === state.selected)) {
    // the campaign that reached the most clients first
    const first = [...campaigns].sort((a, b) => (b.requested + b.held_out) - (a.requested + a.held_out))[0];
    state.selected = first ? first.campaign_id : null;
  }
  if (state.selected) {
    await select(state.selected);
  } else {
    for (const panel of ["funnel", "uplift", "daily"]) noData(panel, "No campaign to show.");
  }
  $("status").textContent = `${campaigns.length} campaign${campaigns.length === 1 ? "" : "s"}, updated ${new Date().toLocaleTimeString()}`;
}

async function run() {
  try {
    await refresh();
  } catch (error) {
    state.errors.push(String(error));
    $("status").textContent = "Could not load the results: " + error;
  }
  document.documentElement.dataset.state = "ready";
}

$("uplift-by").addEventListener("change", async (e) => {
  state.by = e.target.value;
  if (state.selected) await renderUplift(state.selected);
});
run();
setInterval(run, 30000);
