// xp: narrows the board at once as you type and keeps the filters in the URL; on a served
// story, sends the forms to the JSON API.
// The pages read fine without it; the cards it shows come escaped from the server.
(function () {
  "use strict";
  var FILTERS = ["q", "tag", "owner", "decision", "metric"];

  // An experiment of the search index (an array, as `index_js` writes it), by name.
  function entryOf(a) {
    return { n: a[0], title: a[1], s: a[2], u: a[3], when: a[4], k: a[5], t: a[6] || [],
      o: a[7], d: a[8], m: a[9], r: a[10] };
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // The pieces a card and a table line share, made as text (never as HTML).
  function titleLink(e) {
    var a = el("a", "", e.title);
    a.setAttribute("href", "e/" + e.n + ".html");
    return a;
  }
  function resultNodes(e) {
    if (!e.r) return null;
    return [el("span", "badge res-" + e.r[0], e.r[0]), document.createTextNode(" "), el("span", "nums", e.r[1])];
  }
  function decisionBadge(e) {
    return e.d ? el("span", "dec dec-" + e.d, e.d) : null;
  }
  function updated(e) {
    if (!e.u) return null;
    var t = el("time", "", e.when);
    t.setAttribute("datetime", e.u);
    return t;
  }

  // A match's card, in short: title, metric, result, decision, owner, tags, last update.
  function cardOf(e) {
    var card = el("article", "card");
    var h = el("h3");
    h.appendChild(titleLink(e));
    card.appendChild(h);
    var metric = el("p", "metric");
    metric.appendChild(el("code", "", e.m));
    card.appendChild(metric);
    var result = resultNodes(e);
    if (result) {
      var line = el("p", "result-line");
      result.forEach(function (n) { line.appendChild(n); });
      card.appendChild(line);
    }
    if (e.d || e.o) {
      var facts = el("dl", "facts");
      [["Decision", decisionBadge(e)], ["Owner", e.o ? document.createTextNode(e.o) : null]].forEach(function (f) {
        if (!f[1]) return;
        var div = el("div");
        div.appendChild(el("dt", "", f[0]));
        var dd = el("dd");
        dd.appendChild(f[1]);
        div.appendChild(dd);
        facts.appendChild(div);
      });
      card.appendChild(facts);
    }
    if (e.t.length) {
      var tags = el("ul", "tags");
      tags.setAttribute("aria-label", "Tags");
      e.t.forEach(function (t) { tags.appendChild(el("li", "", t)); });
      card.appendChild(tags);
    }
    var time = updated(e);
    if (time) {
      var last = el("p", "last");
      var by = el("span", "by");
      by.appendChild(time);
      last.appendChild(by);
      card.appendChild(last);
    }
    var li = el("li");
    li.appendChild(card);
    return li;
  }

  // A match's table line.
  function rowOf(e) {
    var tr = document.createElement("tr");
    function cell(tag, cls, label, nodes) {
      var td = document.createElement(tag);
      if (tag === "th") td.setAttribute("scope", "row");
      td.className = cls;
      if (label) td.setAttribute("data-label", label);
      nodes.forEach(function (n) { if (n) td.appendChild(n); });
      if (!td.childNodes.length) {
        var none = document.createElement("span");
        none.className = "muted";
        none.textContent = "\u2014";
        td.appendChild(none);
      }
      tr.appendChild(td);
    }
    cell("th", "c-title", "", [titleLink(e)]);
    cell("td", "c-status", "Status", [el("span", "badge st-" + e.s, e.s)]);
    cell("td", "c-owner", "Owner", [e.o ? document.createTextNode(e.o) : null]);
    cell("td", "c-metric", "Metric", [el("code", "", e.m)]);
    cell("td", "c-result", "Result", resultNodes(e) || [decisionBadge(e)]);
    cell("td", "c-updated", "Updated", [updated(e)]);
    return tr;
  }

  // Wraps what `pattern` finds in the text of `el` in <mark>, as text nodes (never as HTML).
  function markIn(el, pattern) {
    Array.prototype.slice.call(el.childNodes).forEach(function (node) {
      if (node.nodeType !== 3) return;
      var text = node.nodeValue;
      var parts = text.split(pattern);
      if (parts.length < 2) return;
      var frag = document.createDocumentFragment();
      parts.forEach(function (part, i) {
        if (!part) return;
        if (i % 2 === 1) {
          var m = document.createElement("mark");
          m.textContent = part;
          frag.appendChild(m);
        } else {
          frag.appendChild(document.createTextNode(part));
        }
      });
      el.replaceChild(frag, node);
    });
  }

  function boardFilters() {
    var form = document.querySelector("[data-filters]");
    var columns = Array.prototype.slice.call(document.querySelectorAll("[data-col]"));
    var indexSrc = form && form.getAttribute("data-index");
    if (!form || !columns.length || !indexSrc) return;
    // The search index (a few hundred bytes an experiment, named by its content so that the
    // browser keeps it) loads on the first filter, so that a board shows and scrolls, on a
    // phone too, without it.
    var index = null;
    var waiting = [];
    function withIndex(then) {
      if (index) return then();
      waiting.push(then);
      if (waiting.length > 1) return;
      var script = document.createElement("script");
      script.src = indexSrc;
      script.onload = function () {
        index = Array.isArray(window.XP_INDEX) ? window.XP_INDEX.map(entryOf) : [];
        waiting.splice(0).forEach(function (f) { f(); });
      };
      document.head.appendChild(script);
    }
    // A served board searches on the server: its plain form is answered there.
    if (form.getAttribute("action")) return;
    var single = columns.length === 1;
    var live = form.querySelector("[data-live]");
    var original = columns.map(function (col) {
      var list = col.querySelector("[data-cards]");
      var count = col.querySelector("[data-count]");
      return { list: list.innerHTML, count: count.textContent };
    });

    var params = new URLSearchParams(location.search);
    FILTERS.concat(single ? [] : ["status"]).forEach(function (name) {
      var field = form.elements[name];
      if (field && params.has(name)) field.value = params.get(name);
    });
    form.removeAttribute("data-pending");

    function values() {
      var v = {};
      FILTERS.concat(["status"]).forEach(function (name) {
        var field = form.elements[name];
        v[name] = field ? field.value.trim() : "";
      });
      if (single) v.status = "";
      return v;
    }

    function keeps(e, v) {
      var words = v.q.toLowerCase().split(/\s+/).filter(Boolean);
      for (var i = 0; i < words.length; i++) if (e.k.indexOf(words[i]) < 0) return false;
      if (v.tag && e.t.indexOf(v.tag) < 0) return false;
      if (v.owner && e.o.toLowerCase() !== v.owner.toLowerCase()) return false;
      if (v.decision && e.d !== v.decision) return false;
      if (v.metric && e.m !== v.metric) return false;
      return true;
    }

    function sync(v) {
      var p = new URLSearchParams(location.search);
      FILTERS.concat(single ? [] : ["status"]).forEach(function (name) {
        if (v[name]) p.set(name, v[name]); else p.delete(name);
      });
      p.delete("page");
      var qs = p.toString();
      try {
        history.replaceState(null, "", location.pathname + (qs ? "?" + qs : "") + location.hash);
      } catch (err) { /* some browsers refuse it on file:// pages */ }
    }

    function apply() {
      var v = values();
      var active = FILTERS.some(function (n) { return v[n]; });
      if (active && !index) return withIndex(apply);
      sync(v);
      var groups = {};
      var all = [];
      if (active) {
        index.forEach(function (e) {
          if (!keeps(e, v)) return;
          (groups[e.s] = groups[e.s] || []).push(e);
          all.push(e);
        });
        // The whole table is in order of the last update, newest first.
        all.sort(function (a, b) { return a.u < b.u ? 1 : a.u > b.u ? -1 : 0; });
      }
      var matched = all.length;
      var words = v.q.split(/\s+/).filter(Boolean);
      columns.forEach(function (col, i) {
        var status = col.getAttribute("data-col");
        var list = col.querySelector("[data-cards]");
        var count = col.querySelector("[data-count]");
        var empty = col.querySelector("[data-empty]");
        var more = col.querySelector("[data-more]");
        var limit = Number(col.getAttribute("data-limit")) || 50;
        col.hidden = !!(status && v.status && v.status !== status);
        if (!active) {
          list.innerHTML = original[i].list;
          count.textContent = original[i].count;
          empty.hidden = Number(original[i].count) > 0;
          if (more) more.hidden = Number(original[i].count) <= limit;
        } else {
          var items = status ? groups[status] || [] : all;
          var make = col.hasAttribute("data-rows") ? rowOf : cardOf;
          list.textContent = "";
          items.slice(0, limit).forEach(function (e) { list.appendChild(make(e)); });
          count.textContent = String(items.length);
          empty.hidden = items.length > 0;
          if (more) more.hidden = single || items.length <= limit;
        }
        if (more) {
          Array.prototype.forEach.call(more.querySelectorAll("a"), function (a) {
            var u = new URL(a.getAttribute("href"), location.href);
            FILTERS.forEach(function (n) { if (v[n]) u.searchParams.set(n, v[n]); else u.searchParams.delete(n); });
            a.href = u.href;
          });
        }
      });
      if (words.length) {
        var pattern = new RegExp("(" + words.map(function (w) {
          return w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        }).join("|") + ")", "gi");
        Array.prototype.forEach.call(document.querySelectorAll("[data-cards] h3 a, [data-cards] .c-title a"), function (a) {
          markIn(a, pattern);
        });
      }
      var shown = document.querySelector("[data-shown]");
      if (shown) {
        shown.hidden = !v.q;
        shown.textContent = matched === 0
          ? "Nothing matches \u201c" + v.q + "\u201d. Search looks through titles, hypotheses, metrics, tags, owners and learnings; try fewer or other words."
          : matched + (matched === 1 ? " experiment matches" : " experiments match") + " \u201c" + v.q + "\u201d";
      }
      if (live) live.textContent = active ? (matched === 0 ? "No experiment matches" : matched + (matched === 1 ? " experiment matches" : " experiments match")) : "";
    }

    var timer = 0;
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(apply, 60);
    });
    form.addEventListener("change", apply);
    form.addEventListener("reset", function () { setTimeout(apply, 0); });
    if (!form.getAttribute("action")) {
      form.addEventListener("submit", function (ev) { ev.preventDefault(); apply(); });
    }
    apply();
  }

  // Rules broken, said the way a person would say them; the API's own message otherwise.
  var WORDS = {
    "decision-required": "Choose a decision: a completed experiment needs one.",
    "shipped-needs-ship": "Only an experiment decided \u201cship\u201d can be shipped.",
    "confidence-range": "Confidence is a whole number from 0 to 100.",
    "empty-field": "This cannot be empty.",
    "missing-field": "This is needed.",
    "bad-status": "Pick one of the statuses offered.",
    "bad-decision": "Pick one of the decisions offered.",
    "wrong-type": "This value has the wrong form."
  };

  function say(problem) {
    var words = WORDS[problem.type];
    var msg = String(problem.msg || "");
    return words || msg.charAt(0).toUpperCase() + msg.slice(1);
  }

  function clearProblems(form) {
    Array.prototype.forEach.call(form.querySelectorAll("[data-problem]"), function (p) {
      p.hidden = true;
      p.textContent = "";
    });
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (f) {
      f.removeAttribute("aria-invalid");
    });
  }

  function showProblem(form, field, text) {
    var p = form.querySelector('[data-problem="' + field + '"]') || form.querySelector('[data-problem=""]');
    p.textContent = p.textContent ? p.textContent + " " + text : text;
    p.hidden = false;
    var input = field && form.elements[field];
    if (input && input.setAttribute) input.setAttribute("aria-invalid", "true");
  }

  // Every problem of the form said at once to a screen reader (the live region is emptied
  // first, so that the same words said twice are said again).
  function announce(form) {
    var region = form.querySelector("[data-announce]");
    if (!region) return;
    var said = [];
    Array.prototype.forEach.call(form.querySelectorAll("[data-problem]"), function (p) {
      if (!p.hidden && p.textContent) said.push(p.textContent);
    });
    region.textContent = "";
    setTimeout(function () {
      region.textContent = said.length ? "Not saved. " + said.join(" ") : "";
    }, 50);
  }

  // The decision log newest first (as the page comes) or oldest first (`?order=oldest`),
  // turned around in place.
  function order(oldest) {
    var list = document.querySelector("[data-timeline]");
    var toggle = document.querySelector("[data-order-toggle]");
    var now = document.querySelector("[data-order-now]");
    if (!list || !toggle) return;
    var isOldest = !list.hasAttribute("reversed");
    if (isOldest !== oldest) {
      Array.prototype.slice.call(list.children).reverse().forEach(function (li) { list.appendChild(li); });
      if (oldest) list.removeAttribute("reversed"); else list.setAttribute("reversed", "");
    }
    toggle.textContent = oldest ? "Show newest first" : "Show oldest first";
    toggle.setAttribute("href", oldest ? "?order=newest" : "?order=oldest");
    if (now) now.textContent = oldest ? "Oldest first" : "Newest first";
  }

  document.addEventListener("click", function (ev) {
    var toggle = ev.target.closest && ev.target.closest("[data-order-toggle]");
    if (!toggle) return;
    ev.preventDefault();
    var oldest = toggle.getAttribute("href") === "?order=oldest";
    order(oldest);
    var p = new URLSearchParams(location.search);
    if (oldest) p.set("order", "oldest"); else p.delete("order");
    var qs = p.toString();
    try {
      history.replaceState(null, "", location.pathname + (qs ? "?" + qs : "") + location.hash);
    } catch (err) { /* some browsers refuse it on file:// pages */ }
  });

  // Focus goes to the first field in error (its problem is read out with it, through
  // aria-describedby), else to the form's own problem.
  function focusProblem(form) {
    var field = form.querySelector("[aria-invalid=true]");
    if (field && field.offsetParent !== null) return field.focus();
    var general = form.querySelector('[data-problem=""]');
    if (general && !general.hidden) general.focus();
  }

  function body(form) {
    var kind = form.getAttribute("data-form");
    var get = function (n) { return form.elements[n] ? form.elements[n].value.trim() : ""; };
    var out = {};
    if (get("note")) out.note = form.elements.note.value;
    if (get("who")) out.who = get("who");
    if (kind === "note") {
      if (!out.note) out.note = "";
      return out;
    }
    out.status = get("status");
    if (out.status === "completed") {
      if (get("decision")) out.decision = get("decision");
      if (get("confidence")) {
        var n = Number(get("confidence"));
        out.confidence = Number.isFinite(n) ? n : get("confidence");
      }
      if (get("learning")) out.learning = form.elements.learning.value;
    }
    return out;
  }

  // What is typed in the forms, by field id, to put back after the page is made again.
  function typed() {
    var kept = {};
    Array.prototype.forEach.call(document.querySelectorAll("[data-actions] [id]"), function (f) {
      if ("value" in f && f.tagName !== "BUTTON") kept[f.id] = f.value;
    });
    return kept;
  }

  function refresh(done, keep) {
    fetch(location.href, { headers: { Accept: "text/html" }, cache: "no-store" })
      .then(function (res) { return res.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var main = doc.querySelector("main");
        if (main) document.querySelector("main").replaceWith(document.adoptNode(main));
        if (keep) {
          Object.keys(keep).forEach(function (id) {
            var f = document.getElementById(id);
            if (!f || !("value" in f)) return;
            // A choice the new version no longer offers stays as the page has it.
            if (f.tagName === "SELECT" && !f.querySelector('option[value="' + CSS.escape(keep[id]) + '"]')) return;
            f.value = keep[id];
          });
        }
        initActions();
        if (new URLSearchParams(location.search).get("order") === "oldest") order(true);
        done();
      });
  }

  // A change sent against a version that is no longer the record's: say so, keep what was
  // typed, and offer the latest version with the fields as they are.
  function stale(form) {
    var p = form.querySelector('[data-problem=""]');
    p.textContent = "This experiment changed since this page was loaded, so nothing was saved. ";
    var again = document.createElement("button");
    again.type = "button";
    again.setAttribute("data-reload", "");
    again.textContent = "Load the latest version (keeps what you typed)";
    again.addEventListener("click", function () {
      var kind = form.getAttribute("data-form");
      refresh(function () {
        var next = document.querySelector('[data-form="' + kind + '"] [data-saved]');
        if (next) {
          next.textContent = "This is the latest version; what you typed is kept. Check it and send it again.";
          next.focus();
        }
      }, typed());
    });
    p.appendChild(again);
    p.hidden = false;
    p.focus();
  }

  function send(form) {
    var actions = form.closest("[data-actions]");
    var kind = form.getAttribute("data-form");
    var url = actions.getAttribute("data-api") + (kind === "note" ? "/notes" : "");
    var button = form.querySelector("button[type=submit]");
    clearProblems(form);
    button.disabled = true;
    var saved = form.querySelector("[data-saved]");
    if (saved) saved.textContent = "Saving\u2026";
    var headers = { "Content-Type": "application/json", Accept: "application/json" };
    // A note needs no precondition (the log only grows); a change is made only to the version
    // this page shows.
    var version = actions.getAttribute("data-etag");
    if (kind !== "note" && version) headers["If-Match"] = version;
    fetch(url, {
      method: kind === "note" ? "POST" : "PATCH",
      headers: headers,
      body: JSON.stringify(body(form))
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (res.ok) {
          refresh(function () {
            var saved = document.querySelector('[data-form="' + kind + '"] [data-saved]');
            if (saved) {
              saved.textContent = kind === "note" ? "Note added and committed." : "Status moved and committed.";
              saved.focus();
            }
          });
          return;
        }
        button.disabled = false;
        if (saved) saved.textContent = "";
        if (res.status === 412) return stale(form);
        var detail = data && data.detail;
        if (Array.isArray(detail)) {
          detail.forEach(function (p) {
            var loc = Array.isArray(p.loc) ? p.loc : [];
            showProblem(form, loc.length > 1 ? String(loc[1]) : "", say(p));
          });
        } else {
          showProblem(form, "", detail ? String(detail) : "The server refused it (" + res.status + ").");
        }
        announce(form);
        focusProblem(form);
      });
    }).catch(function () {
      button.disabled = false;
      if (saved) saved.textContent = "";
      showProblem(form, "", "The server could not be reached; nothing was saved.");
      announce(form);
      focusProblem(form);
    });
  }

  function initActions() {
    var actions = document.querySelector("[data-actions]");
    if (!actions || !window.fetch) return;
    actions.hidden = false;
    var status = actions.querySelector('[data-form="status"]');
    if (!status) return;
    var select = status.elements.status;
    var noteLabel = status.querySelector("label[data-label-killed]");
    var plain = noteLabel ? noteLabel.textContent : "";
    function toggle() {
      Array.prototype.forEach.call(status.querySelectorAll("[data-when]"), function (row) {
        row.hidden = row.getAttribute("data-when") !== select.value;
      });
      if (noteLabel) noteLabel.textContent = select.value === "killed" ? noteLabel.getAttribute("data-label-killed") : plain;
    }
    select.addEventListener("change", toggle);
    toggle();
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.closest || !form.closest("[data-actions]")) return;
    ev.preventDefault();
    send(form);
  });

  function start() {
    boardFilters();
    initActions();
    if (new URLSearchParams(location.search).get("order") === "oldest") order(true);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
