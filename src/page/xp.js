// xp: narrows the board at once as you type, and keeps the filters in the URL.
// The pages read fine without it; the cards it shows come escaped from the server.
(function () {
  "use strict";
  var FILTERS = ["q", "tag", "owner", "decision", "metric"];

  function boardFilters() {
    var form = document.querySelector("[data-filters]");
    var columns = Array.prototype.slice.call(document.querySelectorAll("[data-col]"));
    var indexSrc = form && form.getAttribute("data-index");
    if (!form || !columns.length || !indexSrc) return;
    // The search index (every card) loads on the first filter, so that a large board
    // shows and scrolls before it is fetched.
    var index = null;
    var waiting = [];
    function withIndex(then) {
      if (index) return then();
      waiting.push(then);
      if (waiting.length > 1) return;
      var script = document.createElement("script");
      script.src = indexSrc;
      script.onload = function () {
        index = Array.isArray(window.XP_INDEX) ? window.XP_INDEX : [];
        waiting.splice(0).forEach(function (f) { f(); });
      };
      document.head.appendChild(script);
    }
    var single = columns.length === 1;
    var statusField = form.elements.status;
    if (single && statusField) statusField.closest(".field").hidden = true;
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
    form.hidden = false;

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
      var matched = 0;
      if (active) {
        index.forEach(function (e) {
          if (!keeps(e, v)) return;
          (groups[e.s] = groups[e.s] || []).push(e);
          matched++;
        });
      }
      columns.forEach(function (col, i) {
        var status = col.getAttribute("data-col");
        var list = col.querySelector("[data-cards]");
        var count = col.querySelector("[data-count]");
        var empty = col.querySelector("[data-empty]");
        var more = col.querySelector("[data-more]");
        var limit = Number(col.getAttribute("data-limit")) || 50;
        col.hidden = !!(v.status && v.status !== status);
        if (!active) {
          list.innerHTML = original[i].list;
          count.textContent = original[i].count;
          empty.hidden = Number(original[i].count) > 0;
          if (more) more.hidden = Number(original[i].count) <= limit;
        } else {
          var items = groups[status] || [];
          list.innerHTML = items.slice(0, limit).map(function (e) { return "<li>" + e.h + "</li>"; }).join("");
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
      if (live) live.textContent = active ? matched + (matched === 1 ? " experiment matches" : " experiments match") : "";
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

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", boardFilters);
  } else {
    boardFilters();
  }
})();
