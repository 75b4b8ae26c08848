// Progressive enhancement for every page; each page works without it.
// Served from /static so the Content-Security-Policy forbids inline scripts.
(function () {
  "use strict";

  // The running timer's clock ticks. The server wrote the elapsed seconds
  // when it made the page; counting on from the moment the page loaded
  // keeps a wrong clock on this computer out of it.
  function startClocks() {
    var clocks = document.querySelectorAll("time[data-elapsed]");
    if (!clocks.length) { return; }
    var loaded = Date.now();
    var pad = function (n) { return n < 10 ? "0" + n : String(n); };
    var tick = function () {
      var passed = Math.floor((Date.now() - loaded) / 1000);
      clocks.forEach(function (el) {
        var s = Number(el.getAttribute("data-elapsed")) + passed;
        el.textContent = Math.floor(s / 3600) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
      });
    };
    tick();
    window.setInterval(tick, 1000);
  }

  // A task picker offers only the tasks of the project chosen beside it
  // (without the script every task is listed, grouped by project, and the
  // server refuses a task of another project).
  function linkTaskPickers() {
    document.querySelectorAll("select[data-project-picker]").forEach(function (tasks) {
      var project = document.getElementById(tasks.getAttribute("data-project-picker"));
      if (!project) { return; }
      var follow = function () {
        tasks.querySelectorAll("optgroup[data-project]").forEach(function (group) {
          var other = group.getAttribute("data-project") !== project.value;
          group.hidden = other;
          group.disabled = other;
        });
        var chosen = tasks.selectedOptions[0];
        if (chosen && chosen.parentElement && chosen.parentElement.disabled) {
          tasks.value = "";
        }
      };
      project.addEventListener("change", follow);
      follow();
    });
  }

  // Buttons that destroy something ask first, in the words they carry.
  function confirmDestructive() {
    document.addEventListener("submit", function (event) {
      var question = event.target.getAttribute("data-confirm");
      if (question && !window.confirm(question)) { event.preventDefault(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    startClocks();
    linkTaskPickers();
    confirmDestructive();
  });
})();
